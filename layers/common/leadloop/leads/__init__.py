"""Leads: the Graph lead model, reading leads from Meta, and the DynamoDB lead store."""
