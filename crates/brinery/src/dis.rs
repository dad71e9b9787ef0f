//! Disassembly of pickles, the output of `python -m pickletools` (being written).
