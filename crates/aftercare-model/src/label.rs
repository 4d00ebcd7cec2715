//! Fixed vocabularies: enums whose values print and parse as snake_case labels (plan states,
//! VEX statuses, DDI action states …), declared once with [`label_enum!`] by every pure crate
//! that has them, each with its own error type ([`UnknownLabel`]).

/// An error that says a label is not one of its vocabulary's values.
pub trait UnknownLabel {
    /// The error for `value`, read as a `vocabulary` (`plan state`) that accepts `expected`
    /// (its labels, comma-separated).
    fn unknown_label(vocabulary: &'static str, value: &str, expected: String) -> Self;
}

/// Declares a label enum: each variant with its doc comment and its label.
///
/// Generates `as_str`, `ALL`, `Display` and a `FromStr` whose error (`error = TYPE`, a type
/// that implements [`UnknownLabel`]) names the vocabulary and every accepted label.
///
/// ```
/// # #[derive(Debug)] pub struct Error(String);
/// # impl aftercare_model::label::UnknownLabel for Error {
/// #     fn unknown_label(vocabulary: &'static str, value: &str, expected: String) -> Self {
/// #         Error(format!("unknown {vocabulary} {value:?}: expected one of {expected}"))
/// #     }
/// # }
/// aftercare_model::label_enum! {
///     error = Error;
///     /// A colour.
///     pub enum Colour as "colour" {
///         /// Red.
///         Red = "red",
///         /// Dark blue.
///         DarkBlue = "dark_blue",
///     }
/// }
/// assert_eq!(Colour::DarkBlue.to_string(), "dark_blue");
/// assert_eq!("red".parse::<Colour>().unwrap(), Colour::Red);
/// assert_eq!(
///     "green".parse::<Colour>().unwrap_err().0,
///     "unknown colour \"green\": expected one of red, dark_blue"
/// );
/// ```
#[macro_export]
macro_rules! label_enum {
    (
        error = $error:ty;
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

        impl ::std::fmt::Display for $name {
            fn fmt(&self, formatter: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                formatter.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $error;

            fn from_str(input: &str) -> ::std::result::Result<$name, $error> {
                match input {
                    $($label => Ok($name::$variant),)+
                    _ => Err(<$error as $crate::label::UnknownLabel>::unknown_label(
                        $vocabulary,
                        input,
                        [$($label),+].join(", "),
                    )),
                }
            }
        }
    };
}
