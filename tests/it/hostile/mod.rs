//! Inputs a hostile user would try (found by an adversarial run of the release binary),
//! each test named after what broke: none may panic, abort, hang, write a device over,
//! or give a silently different result.

mod diagnostics; // control and invisible characters, look-alikes, did-you-mean cost, nesting
mod files; // outputs through devices, FIFOs, symlinks and read-only files; imports of non-files
mod flags; // usage errors exit 2, solver help that says what is wrong, resource bounds
mod protocol; // grids, doses, events and their dimensions, checked where they are written
mod runs; // compare, report, ensemble and merge: failures named, records validated
