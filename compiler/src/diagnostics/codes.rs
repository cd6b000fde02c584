//! Stable diagnostic codes. A code never changes meaning once released; add new ones at the end of
//! their stage's section.
