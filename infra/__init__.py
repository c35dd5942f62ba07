"""Northstar's production on AWS as code (AWS CDK in Python): see infra/README.md."""
