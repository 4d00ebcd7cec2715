//! The macro that declares this crate's fixed vocabularies (action and rollout states, DDI
//! execution values, update types …): an enum whose values print and parse as snake_case
//! labels, with the list of all values for messages and tests.
//!
//! It mirrors `aftercare-patch`'s own macro, whose errors are that crate's; here a label that
//! does not parse is a [`crate::RolloutError::UnknownLabel`].

/// Declares a label enum: each variant with its doc comment and its label.
///
/// Generates `as_str`, `ALL`, `Display` and a `FromStr` whose error names the vocabulary and
/// every accepted label.
macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident as $vocabulary:literal {
            $( $(#[$variant_meta:meta])* $variant:ident = $label:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $( $(#[$variant_meta])* $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The label, as written in files and on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $label,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::RolloutError;

            fn from_str(input: &str) -> Result<$name, $crate::RolloutError> {
                match input {
                    $($label => Ok($name::$variant),)+
                    _ => Err($crate::RolloutError::UnknownLabel {
                        vocabulary: $vocabulary,
                        value: input.to_string(),
                        expected: [$($label),+].join(", "),
                    }),
                }
            }
        }
    };
}

pub(crate) use vocabulary;
