//! `Pair`: the same object as the database has it (`current`) and as the schema wants it (`desired`).

/// The same object as the database has it (`current`) and as the schema wants it (`desired`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pair<T> {
    pub current: T,
    pub desired: T,
}

impl<T> Pair<T> {
    pub fn new(current: T, desired: T) -> Pair<T> {
        Pair { current, desired }
    }

    pub fn as_ref(&self) -> Pair<&T> {
        Pair {
            current: &self.current,
            desired: &self.desired,
        }
    }

    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> Pair<U> {
        Pair {
            current: f(self.current),
            desired: f(self.desired),
        }
    }
}

impl<T> Pair<Option<T>> {
    /// `Some` only when the object exists on both sides.
    pub fn both(self) -> Option<Pair<T>> {
        Some(Pair {
            current: self.current?,
            desired: self.desired?,
        })
    }
}
