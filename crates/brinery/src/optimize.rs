//! `pickletools.optimize`: drop PUTs nobody GETs (being written).
