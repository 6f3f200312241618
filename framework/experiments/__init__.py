"""Experiment management: comparisons (`python -m framework.compare`), their tables and pictures (`report`), and
where their runs execute (`backends`: worker processes here; `cluster`: a Dask cluster)."""
