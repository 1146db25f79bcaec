//! `application/x-www-form-urlencoded` parameters (query strings and form bodies).

use std::collections::HashMap;

/// Decoded parameters: the first value of each name, and which names repeat.
#[derive(Debug, Default)]
pub struct Params {
    values: HashMap<String, String>,
    repeated: Vec<String>,
}

impl Params {
    pub fn parse(input: &[u8]) -> Params {
        let mut params = Params::default();
        for (name, value) in form_urlencoded::parse(input) {
            if params.values.contains_key(name.as_ref()) {
                if !params.repeated.iter().any(|r| r == name.as_ref()) {
                    params.repeated.push(name.into_owned());
                }
            } else {
                params.values.insert(name.into_owned(), value.into_owned());
            }
        }
        params
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// The value, treating an empty one as absent.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// The first of `names` sent more than once.
    pub fn first_repeated<'a>(&self, names: &[&'a str]) -> Option<&'a str> {
        names
            .iter()
            .copied()
            .find(|n| self.repeated.iter().any(|r| r == n))
    }
}
