"""The side-by-side benchmark of `runbook` and Ansible behind `bench/run`."""
