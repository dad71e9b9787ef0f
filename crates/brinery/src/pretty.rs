//! Printing a graph as `python -m pickle` does: `repr` and `pprint` (being written).
