//! What the library asks of the binary's allocator: to give memory freed in bulk back to the
//! system. glibc keeps freed small blocks for reuse and returns nothing below the top of its heap,
//! so the syntax trees `plan` frees after compiling stayed resident while the database's catalog
//! was decoded into new pages (see `introspect::DecodeGate`). `malloc_trim` gives them back, but it
//! is a C function and the library has no `unsafe` code: the binary (`main.rs`) registers it.

use std::sync::OnceLock;

static GIVE_BACK: OnceLock<fn()> = OnceLock::new();

/// Registers how to give freed memory back; the first registration stands.
pub fn on_give_back(give_back: fn()) {
    let _ = GIVE_BACK.set(give_back);
}

/// Gives the memory freed so far back to the system, where the binary said how; else nothing.
pub fn give_back() {
    if let Some(give_back) = GIVE_BACK.get() {
        give_back();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    static CALLS: AtomicUsize = AtomicUsize::new(0);

    fn count() {
        CALLS.fetch_add(1, Ordering::SeqCst);
    }

    #[test]
    fn gives_back_through_what_was_registered_first() {
        super::on_give_back(count);
        super::on_give_back(|| panic!("a second registration replaced the first"));
        let before = CALLS.load(Ordering::SeqCst);
        super::give_back();
        assert_eq!(CALLS.load(Ordering::SeqCst), before + 1);
    }
}
