//! `Debug` that names every field but prints secrets as `[redacted]`: codes, verifiers,
//! nonces, tokens, sealed sessions and personal data never reach a log through `{:?}`.

/// `debug_redacted!(Type { shown, fields; hidden, fields })`.
macro_rules! debug_redacted {
    ($ty:ident { $($shown:ident),* ; $($hidden:ident),* }) => {
        impl core::fmt::Debug for $ty {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.debug_struct(stringify!($ty))
                    $(.field(stringify!($shown), &self.$shown))*
                    $(.field(stringify!($hidden), &"[redacted]"))*
                    .finish()
            }
        }
    };
}
