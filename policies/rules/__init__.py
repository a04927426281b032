"""One rule per module; the path mirrors the resource type (rules/aws/rds/...)."""
