"""Namespaces with owner, team, purpose and TTL metadata, and the reaper that reclaims them."""
