//! Lenient JSON building blocks: serde types that accept any JSON shape without failing, so
//! that a wrongly typed field becomes a warning instead of dropping the whole document.
//!
//! The readers deserialize straight into typed structs made of these blocks (no
//! `serde_json::Value` tree), borrowing strings from the input where JSON has no escapes:
//! that is what keeps a 50,000-component SBOM fast and small in memory. A field of the wrong
//! type records what it found ([`Text::Invalid`], [`Obj::Invalid`], [`List::invalid`]) and
//! the reader turns that into a warning naming the field.
//!
//! Structs are declared with [`lenient_struct!`] rather than `#[derive(Deserialize)]`:
//! serde's derive fails the whole document on a key that appears twice in one object,
//! while these structs keep the last value and record the key, so that the reader can warn.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// What a JSON value was, in words, for messages (`a number`, `an object`).
pub(crate) type Found = &'static str;

/// A JSON scalar read as text.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) enum Text<'a> {
    /// Absent or `null`.
    #[default]
    Missing,
    /// A string.
    Value(Cow<'a, str>),
    /// A number, printed as serde_json prints it (`1.10` reads as `1.1`).
    Number(String),
    /// Anything else: a boolean, an array or an object.
    Invalid(Found),
}

impl<'a> Text<'a> {
    /// The trimmed string, if any and not empty. Numbers count as text.
    pub(crate) fn get(&self) -> Option<&str> {
        match self {
            Text::Value(text) => Some(text.trim()).filter(|text| !text.is_empty()),
            Text::Number(number) => Some(number.as_str()),
            Text::Missing | Text::Invalid(_) => None,
        }
    }

    /// The owned trimmed string, if any.
    pub(crate) fn owned(&self) -> Option<String> {
        self.get().map(str::to_string)
    }

    /// What was found instead of a string, if the value is not one.
    #[cfg(test)]
    pub(crate) fn problem(&self) -> Option<Found> {
        match self {
            Text::Number(_) => Some("a number"),
            Text::Invalid(found) => Some(found),
            Text::Missing | Text::Value(_) => None,
        }
    }
}

/// The message for a field that holds something other than a string: numbers are read as
/// text (a number version loses trailing zeros, hence the warning), the rest is ignored.
pub(crate) fn field_problem(text: &Text<'_>) -> Option<String> {
    match text {
        Text::Number(number) => Some(format!(
            "expected a string, found a number; read as {number:?}"
        )),
        Text::Invalid(found) => Some(format!("expected a string, found {found}; ignored")),
        Text::Missing | Text::Value(_) => None,
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<Text<'de>, E> {
        Ok(Text::Value(Cow::Borrowed(value)))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Text<'de>, E> {
        Ok(Text::Value(Cow::Owned(value.to_string())))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Text<'de>, E> {
        Ok(Text::Value(Cow::Owned(value)))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Text<'de>, E> {
        Ok(Text::Number(value.to_string()))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Text<'de>, E> {
        Ok(Text::Number(value.to_string()))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Text<'de>, E> {
        Ok(Text::Number(value.to_string()))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Text<'de>, E> {
        Ok(Text::Invalid("a boolean"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Text<'de>, E> {
        Ok(Text::Missing)
    }

    fn visit_none<E: de::Error>(self) -> Result<Text<'de>, E> {
        Ok(Text::Missing)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Text<'de>, A::Error> {
        drain_seq(seq)?;
        Ok(Text::Invalid("an array"))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Text<'de>, A::Error> {
        drain_map(map)?;
        Ok(Text::Invalid("an object"))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Text<'a>, D::Error> {
        deserializer.deserialize_any(TextVisitor)
    }
}

/// A JSON object read as `T` (a struct of lenient fields).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) enum Obj<T> {
    /// Absent or `null`.
    #[default]
    Missing,
    /// An object.
    Value(T),
    /// Something else.
    Invalid(Found),
}

impl<T> Obj<T> {
    /// The object, if it was one.
    pub(crate) fn get(&self) -> Option<&T> {
        match self {
            Obj::Value(value) => Some(value),
            Obj::Missing | Obj::Invalid(_) => None,
        }
    }

    /// What was found instead of an object.
    pub(crate) fn problem(&self) -> Option<Found> {
        match self {
            Obj::Invalid(found) => Some(found),
            Obj::Missing | Obj::Value(_) => None,
        }
    }
}

struct ObjVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjVisitor<T> {
    type Value = Obj<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Obj<T>, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(Obj::Value)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Obj<T>, E> {
        Ok(Obj::Missing)
    }

    fn visit_none<E: de::Error>(self) -> Result<Obj<T>, E> {
        Ok(Obj::Missing)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Obj<T>, A::Error> {
        drain_seq(seq)?;
        Ok(Obj::Invalid("an array"))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Obj<T>, E> {
        Ok(Obj::Invalid("a string"))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Obj<T>, E> {
        Ok(Obj::Invalid("a boolean"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Obj<T>, E> {
        Ok(Obj::Invalid("a number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Obj<T>, E> {
        Ok(Obj::Invalid("a number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Obj<T>, E> {
        Ok(Obj::Invalid("a number"))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Obj<T>, D::Error> {
        deserializer.deserialize_any(ObjVisitor(PhantomData))
    }
}

/// A JSON array of lenient elements.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct List<T> {
    /// The elements, in document order.
    pub(crate) items: Vec<T>,
    /// What was found instead of an array, if it was not one.
    pub(crate) invalid: Option<Found>,
}

impl<T> Default for List<T> {
    fn default() -> List<T> {
        List {
            items: Vec::new(),
            invalid: None,
        }
    }
}

struct ListVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ListVisitor<T> {
    type Value = List<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<List<T>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element::<T>()? {
            items.push(item);
        }
        Ok(List {
            items,
            invalid: None,
        })
    }

    fn visit_unit<E: de::Error>(self) -> Result<List<T>, E> {
        Ok(List::default())
    }

    fn visit_none<E: de::Error>(self) -> Result<List<T>, E> {
        Ok(List::default())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<List<T>, A::Error> {
        drain_map(map)?;
        Ok(invalid_list("an object"))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<List<T>, E> {
        Ok(invalid_list("a string"))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<List<T>, E> {
        Ok(invalid_list("a boolean"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<List<T>, E> {
        Ok(invalid_list("a number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<List<T>, E> {
        Ok(invalid_list("a number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<List<T>, E> {
        Ok(invalid_list("a number"))
    }
}

fn invalid_list<T>(found: Found) -> List<T> {
    List {
        items: Vec::new(),
        invalid: Some(found),
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<List<T>, D::Error> {
        deserializer.deserialize_any(ListVisitor(PhantomData))
    }
}

fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// An object key, borrowed from the input when it has no escapes.
#[derive(Debug)]
pub(crate) struct Key<'de>(pub(crate) Cow<'de, str>);

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Borrowed(value)))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(value.to_string())))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(value)))
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Key<'de>, D::Error> {
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Whether a lenient field holds anything: a key read twice is one whose field is already
/// set when its second value arrives.
pub(crate) trait IsSet {
    /// Whether the field was read from the document.
    fn is_set(&self) -> bool;
}

impl IsSet for Text<'_> {
    fn is_set(&self) -> bool {
        !matches!(self, Text::Missing)
    }
}

impl<T> IsSet for Obj<T> {
    fn is_set(&self) -> bool {
        !matches!(self, Obj::Missing)
    }
}

impl<T> IsSet for List<T> {
    fn is_set(&self) -> bool {
        !self.items.is_empty() || self.invalid.is_some()
    }
}

impl<T> IsSet for Option<T> {
    fn is_set(&self) -> bool {
        self.is_some()
    }
}

/// Declares a struct of lenient fields, each read from one JSON key, with a `Deserialize`
/// that never fails on shapes: unknown keys are skipped, and a key that appears twice keeps
/// its last value and is recorded in the generated `duplicate` field.
macro_rules! lenient_struct {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident<$lifetime:lifetime> {
            $( $(#[$field_meta:meta])* $key:literal => $field:ident : $type:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Default)]
        $vis struct $name<$lifetime> {
            $( $(#[$field_meta])* pub(crate) $field: $type, )*
            /// The first key that appeared twice in the object (its last value is kept).
            pub(crate) duplicate: Option<&'static str>,
            _borrowed: std::marker::PhantomData<&$lifetime ()>,
        }

        impl<'de: $lifetime, $lifetime> serde::Deserialize<'de> for $name<$lifetime> {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Fields<$lifetime>(std::marker::PhantomData<&$lifetime ()>);

                impl<'de: $lifetime, $lifetime> serde::de::Visitor<'de> for Fields<$lifetime> {
                    type Value = $name<$lifetime>;

                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str(concat!("a JSON object (", stringify!($name), ")"))
                    }

                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<Self::Value, A::Error> {
                        #[allow(unused_imports)]
                        use $crate::lenient::IsSet as _;
                        let mut out = $name::default();
                        while let Some(key) = map.next_key::<$crate::lenient::Key<'de>>()? {
                            match &*key.0 {
                                $(
                                    $key => {
                                        if out.$field.is_set() && out.duplicate.is_none() {
                                            out.duplicate = Some($key);
                                        }
                                        out.$field = map.next_value()?;
                                    }
                                )*
                                _ => {
                                    map.next_value::<serde::de::IgnoredAny>()?;
                                }
                            }
                        }
                        Ok(out)
                    }
                }

                deserializer.deserialize_map(Fields(std::marker::PhantomData))
            }
        }
    };
}

pub(crate) use lenient_struct;

#[cfg(test)]
mod tests {
    use super::*;

    lenient_struct! {
        struct Sample<'a> {
            "name" => name: Text<'a>,
            "tags" => tags: List<Text<'a>>,
            "child" => child: Obj<Child<'a>>,
        }
    }

    lenient_struct! {
        struct Child<'a> {
            "id" => id: Text<'a>,
        }
    }

    fn check(json: &str, name: Option<&str>, problem: Option<&str>, tags: usize, child: bool) {
        let sample: Sample = serde_json::from_str(json).unwrap();
        assert_eq!(sample.name.get(), name, "{json}");
        assert_eq!(sample.name.problem(), problem, "{json}");
        assert_eq!(sample.tags.items.len(), tags, "{json}");
        assert_eq!(sample.child.get().is_some(), child, "{json}");
    }

    #[test]
    fn wrong_types_never_fail() {
        check(
            r#"{"name":"a","tags":["x","y"],"child":{"id":"1"}}"#,
            Some("a"),
            None,
            2,
            true,
        );
        check(
            r#"{"name":" a ","unknown":[1,{"b":2}]}"#,
            Some("a"),
            None,
            0,
            false,
        );
        check(
            r#"{"name":1.5,"tags":"x","child":[1]}"#,
            Some("1.5"),
            Some("a number"),
            0,
            false,
        );
        check(
            r#"{"name":{"x":[1]},"tags":{"a":1},"child":"s"}"#,
            None,
            Some("an object"),
            0,
            false,
        );
        check(
            r#"{"name":null,"tags":null,"child":null}"#,
            None,
            None,
            0,
            false,
        );
        check(
            r#"{"name":true,"tags":[true, {"a":1}]}"#,
            None,
            Some("a boolean"),
            2,
            false,
        );
        check(r#"{"name":"  "}"#, None, None, 0, false);
    }

    #[test]
    fn strings_without_escapes_are_borrowed() {
        let sample: Sample =
            serde_json::from_str(r#"{"name":"plain","tags":["e\"scaped"]}"#).unwrap();
        assert!(matches!(sample.name, Text::Value(Cow::Borrowed("plain"))));
        assert!(
            matches!(&sample.tags.items[0], Text::Value(Cow::Owned(text)) if text == "e\"scaped")
        );
    }

    #[test]
    fn a_repeated_key_keeps_the_last_value_and_is_recorded() {
        let sample: Sample =
            serde_json::from_str(r#"{"name":"a","tags":["x"],"name":"b"}"#).unwrap();
        assert_eq!(sample.name.get(), Some("b"));
        assert_eq!(sample.duplicate, Some("name"));
        let sample: Sample =
            serde_json::from_str(r#"{"name":"a","unknown":1,"unknown":2}"#).unwrap();
        assert_eq!(sample.duplicate, None);
    }

    #[test]
    fn escaped_keys_are_read() {
        let sample: Sample = serde_json::from_str(r#"{"n\u0061me":"a"}"#).unwrap();
        assert_eq!(sample.name.get(), Some("a"));
    }
}
