"""gateway/sms"""
