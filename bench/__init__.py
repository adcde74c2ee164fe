"""prs-bench: versioned benchmark suites for Progressive Reparameterization Scheduling."""

__version__ = "0.1.0"
