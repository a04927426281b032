"""The plan report: monthly cost, deploy critical path, RTO/RPO and stack differences."""
