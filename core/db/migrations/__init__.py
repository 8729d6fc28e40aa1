"""core/db/migrations"""
