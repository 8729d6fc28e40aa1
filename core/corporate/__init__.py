"""Corporate clients (R29-R33): the group, registration by SMS, the CP_ login and its features."""
