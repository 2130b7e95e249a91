//! Review: the exception queue, holds, workflow moves, edits and the policies in force. Mirrors `ordo_store::review`.

pub mod exceptions;
pub mod policies;
