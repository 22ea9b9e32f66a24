"""Request plumbing below the domain packages: app state, auth dependencies, rate limits."""
