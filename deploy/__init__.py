"""Deployment description shared by docker-compose.yml's test and the native production-topology
test (``deploy.topology``)."""
