//! The macro that declares this crate's fixed vocabularies (action and rollout states, DDI
//! execution values, update types …): an enum whose values print and parse as snake_case
//! labels, with the list of all values for messages and tests.
//!
//! The macro is `aftercare-model`'s, shared by every pure crate; here a label that does not
//! parse is a [`crate::RolloutError::UnknownLabel`].

/// Declares a label enum of this crate ([`aftercare_model::label_enum!`]): `as_str`, `ALL`,
/// `Display`, and a `FromStr` whose error is a [`crate::RolloutError::UnknownLabel`] naming the
/// vocabulary and every accepted label.
macro_rules! vocabulary {
    ($($body:tt)+) => {
        aftercare_model::label_enum! { error = $crate::RolloutError; $($body)+ }
    };
}

pub(crate) use vocabulary;
