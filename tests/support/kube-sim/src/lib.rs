//! Kubernetes API simulator (see issue 4).
