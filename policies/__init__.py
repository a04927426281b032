"""Pulumi CrossGuard policy pack for the platform (see policies/README in the policy issue)."""
