//! A deterministic reader that turns fuzzer bytes into parameters: every call consumes a
//! few bytes and returns a default once the input is exhausted, so every byte string is a
//! valid (if boring) test case. Shared by the fuzz entry points of this crate.

/// Cursor over fuzzer bytes.
pub struct Bytes<'a> {
    data: &'a [u8],
}

#[allow(dead_code)]
impl<'a> Bytes<'a> {
    /// Wraps `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    /// Next byte, 0 when exhausted.
    pub fn u8(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    /// Next little-endian `u16`.
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }

    /// Next little-endian `u32`.
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }

    /// Next `f32` from its bit pattern (any value, NaN and infinities included).
    pub fn f32(&mut self) -> f32 {
        f32::from_bits(self.u32())
    }

    /// `true` with probability 1/2.
    pub fn bool(&mut self) -> bool {
        self.u8() & 1 == 1
    }

    /// One of `choices` (the first when exhausted).
    pub fn pick<T: Copy>(&mut self, choices: &[T]) -> T {
        choices[self.u8() as usize % choices.len()]
    }

    /// The remaining bytes.
    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.data)
    }

    /// The remaining bytes as samples, at most `max`: raw `f32` bit patterns when `raw`
    /// (NaN, infinities, huge values), otherwise `i16` PCM scaled to `[-1, 1)`.
    pub fn samples(&mut self, raw: bool, max: usize) -> Vec<f32> {
        let rest = self.rest();
        if raw {
            rest.chunks_exact(4)
                .take(max)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect()
        } else {
            rest.chunks_exact(2)
                .take(max)
                .map(|c| i16::from_le_bytes([c[0], c[1]]) as f32 / 32768.0)
                .collect()
        }
    }
}
