//! When a read may start decoding its large results. `plan` and `drift` compile the schema on one
//! thread while another reads the database: the compile's peak (syntax trees beside the model) and
//! the decoded catalog (20,000 columns, the keys) each take ~15 MB on 2,000 tables, and when the
//! compile ran late they were alive at once (peak memory 52 MB at the median, 58-65 MB in the
//! tail). The read's queries still run on the server meanwhile; only decoding waits, and a
//! compile that ends in time (most runs) makes it wait for nothing.

use tokio::sync::watch;

/// What a read waits for before decoding columns and keys; cloned into each session's share.
#[derive(Clone)]
pub struct DecodeGate(Option<watch::Receiver<()>>);

/// Opens its gate when dropped: when the compile has ended, failed or panicked alike.
pub struct GateOpener {
    _opens_when_dropped: watch::Sender<()>,
}

impl DecodeGate {
    /// A gate that never waits: for a read that runs alone (`introspect`, `apply`).
    pub fn open() -> DecodeGate {
        DecodeGate(None)
    }

    /// A closed gate, and what opens it.
    pub fn closed() -> (GateOpener, DecodeGate) {
        let (sender, receiver) = watch::channel(());
        let opener = GateOpener {
            _opens_when_dropped: sender,
        };
        (opener, DecodeGate(Some(receiver)))
    }

    /// Returns once the gate is open. Nothing is ever sent: `changed` ends with an error when the
    /// opener is dropped, which is the opening.
    pub(super) async fn passed(&mut self) {
        if let Some(receiver) = &mut self.0 {
            while receiver.changed().await.is_ok() {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
    }

    #[test]
    fn an_open_gate_does_not_wait() {
        runtime().block_on(async {
            let mut gate = DecodeGate::open();
            let waited = tokio::time::timeout(Duration::from_secs(5), gate.passed()).await;
            assert!(waited.is_ok());
        });
    }

    #[test]
    fn a_closed_gate_waits_until_its_opener_is_dropped() {
        runtime().block_on(async {
            let (opener, gate) = DecodeGate::closed();
            let mut early = gate.clone();
            let waited = tokio::time::timeout(Duration::from_millis(50), early.passed()).await;
            assert!(waited.is_err(), "passed a closed gate");
            drop(opener);
            let mut late = gate;
            let waited = tokio::time::timeout(Duration::from_secs(5), late.passed()).await;
            assert!(
                waited.is_ok(),
                "the gate stayed closed after its opener was dropped"
            );
        });
    }
}
