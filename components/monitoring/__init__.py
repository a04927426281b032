"""Monitoring content generated from Python data: alert rules, Alertmanager routing,
CloudWatch alarm specs; Grafana dashboards are JSON files in ``dashboards/``."""
