//! A lossless JSON mapping of the value graph, and a plain one for people (being written).
