"""The steps of an environment, in dependency order: network, cluster, data, apps,
observability, backups. Each builds its components from the validated config and returns a
frozen bundle of what later steps use; no step derives another component's names."""
