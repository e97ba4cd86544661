"""The doctor's checks on hand-built deployments: no eduMFA, no network."""
