//! Corpus reading, vocabularies, tokenization and the 90/5/5 split.
//!
//! Char level: one token per Unicode scalar value; the vocabulary is every
//! character of the whole corpus (the usual char-rnn convention: a character
//! set is not a property the test split should be able to surprise).
//! Word level: whitespace-separated words plus `<eos>` at each line end (the
//! Penn Treebank convention); the vocabulary comes from the training split
//! only and always contains `<unk>`, to which unknown words are mapped.
use crate::error::{Result, TrainError};
use hitnet_model::model::{Vocab, VocabLevel};
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

pub const EOS: &str = "<eos>";
pub const UNK: &str = "<unk>";

/// A text corpus, checked to be text.
#[derive(Clone, Debug)]
pub struct Corpus {
    /// Names the file in messages.
    pub file: String,
    pub text: String,
}

/// Which part of a corpus (first 90% train, next 5% valid, last 5% test,
/// counted in tokens).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Split {
    Train,
    Valid,
    Test,
    All,
}

impl Split {
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Valid => "valid",
            Split::Test => "test",
            Split::All => "all",
        }
    }
    pub fn parse(s: &str) -> Option<Split> {
        Some(match s {
            "train" => Split::Train,
            "valid" => Split::Valid,
            "test" => Split::Test,
            "all" => Split::All,
            _ => return None,
        })
    }
}

/// The token range of a split in a stream of `n` tokens.
pub fn split_range(n: usize, s: Split) -> std::ops::Range<usize> {
    let a = n * 90 / 100;
    let b = n * 95 / 100;
    match s {
        Split::Train => 0..a,
        Split::Valid => a..b,
        Split::Test => b..n,
        Split::All => 0..n,
    }
}

impl Corpus {
    pub fn read(path: &Path) -> Result<Corpus> {
        use hitnet_model::error::{read_limited, MAX_CORPUS_BYTES};
        let bytes = read_limited(path, MAX_CORPUS_BYTES, "training corpus")?;
        Corpus::from_bytes(&bytes, &path.display().to_string())
    }

    /// Checks that `bytes` are text: not empty, no NUL, valid UTF-8, and
    /// almost no control characters (binary files that happen to decode).
    pub fn from_bytes(bytes: &[u8], file: &str) -> Result<Corpus> {
        let err = |msg: String| TrainError::Corpus {
            file: file.to_string(),
            msg,
        };
        if bytes.is_empty() {
            return Err(err("the corpus is empty".into()));
        }
        if let Some(k) = bytes.iter().position(|&b| b == 0) {
            return Err(err(format!(
                "not a text corpus: NUL byte at offset {k} (binary file?)"
            )));
        }
        let text = std::str::from_utf8(bytes).map_err(|e| {
            err(format!(
                "not a text corpus: invalid UTF-8 at byte {} (binary file or another encoding?)",
                e.valid_up_to()
            ))
        })?;
        let n = text.chars().count();
        let control = text
            .chars()
            .filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\x0c'))
            .count();
        if control * 100 > n {
            return Err(err(format!(
                "not a text corpus: {control} of {n} characters are control characters (binary file?)"
            )));
        }
        if text.trim().is_empty() {
            return Err(err("the corpus has only whitespace".into()));
        }
        Ok(Corpus {
            file: file.to_string(),
            text: text.to_string(),
        })
    }

    /// Words of the corpus with `<eos>` at each line end.
    fn words(&self) -> impl Iterator<Item = &str> {
        self.text
            .lines()
            .flat_map(|l| l.split_whitespace().chain(std::iter::once(EOS)))
    }

    /// The vocabulary a model trained on this corpus gets.
    pub fn build_vocab(&self, level: VocabLevel) -> Result<Vocab> {
        let tokens: Vec<String> = match level {
            VocabLevel::Char => {
                let set: BTreeSet<char> = self.text.chars().collect();
                set.into_iter().map(String::from).collect()
            }
            VocabLevel::Word => {
                let all: Vec<&str> = self.words().collect();
                let r = split_range(all.len(), Split::Train);
                let mut set: BTreeSet<&str> = all[r].iter().copied().collect();
                set.insert(UNK);
                set.into_iter().map(String::from).collect()
            }
        };
        if tokens.len() < 2 {
            return Err(TrainError::Corpus {
                file: self.file.clone(),
                msg: format!(
                    "only {} distinct token(s); a language model needs at least 2",
                    tokens.len()
                ),
            });
        }
        Ok(Vocab { level, tokens })
    }

    /// The whole corpus as token ids of `vocab`. Characters outside a char
    /// vocabulary are an error (naming the first one and its line); unknown
    /// words become `<unk>`.
    pub fn encode(&self, vocab: &Vocab) -> Result<Vec<u32>> {
        let tok = Tokenizer::new(vocab)?;
        let ids = match vocab.level {
            VocabLevel::Char => {
                let mut ids = Vec::with_capacity(self.text.len());
                let mut missing: BTreeSet<char> = BTreeSet::new();
                let mut first: Option<(char, usize)> = None;
                let mut line = 1;
                for c in self.text.chars() {
                    match tok.chars.get(&c) {
                        Some(&id) => ids.push(id),
                        None => {
                            missing.insert(c);
                            first.get_or_insert((c, line));
                        }
                    }
                    if c == '\n' {
                        line += 1;
                    }
                }
                if let Some((c, line)) = first {
                    return Err(TrainError::Vocab {
                        file: self.file.clone(),
                        msg: format!(
                            "{} distinct character(s) are not in the model's {}-character vocabulary, first {:?} (U+{:04X}) on line {line}",
                            missing.len(),
                            vocab.tokens.len(),
                            c,
                            c as u32
                        ),
                    });
                }
                ids
            }
            VocabLevel::Word => {
                let unk = tok.words.get(UNK).copied();
                let mut ids = Vec::new();
                for w in self.words() {
                    match (tok.words.get(w), unk) {
                        (Some(&id), _) => ids.push(id),
                        (None, Some(u)) => ids.push(u),
                        (None, None) => {
                            return Err(TrainError::Vocab {
                                file: self.file.clone(),
                                msg: format!(
                                    "the word {w:?} is not in the model's vocabulary, which has no {UNK} token"
                                ),
                            })
                        }
                    }
                }
                ids
            }
        };
        if ids.len() < 2 {
            return Err(TrainError::Corpus {
                file: self.file.clone(),
                msg: format!("only {} token(s); at least 2 are needed", ids.len()),
            });
        }
        Ok(ids)
    }
}

/// Maps between tokens and ids for one vocabulary.
pub struct Tokenizer<'a> {
    pub vocab: &'a Vocab,
    chars: HashMap<char, u32>,
    words: HashMap<&'a str, u32>,
}

impl<'a> Tokenizer<'a> {
    pub fn new(vocab: &'a Vocab) -> Result<Tokenizer<'a>> {
        let bad = |msg: String| TrainError::invalid("vocab", msg);
        let mut chars = HashMap::new();
        let mut words = HashMap::new();
        for (i, t) in vocab.tokens.iter().enumerate() {
            let id = i as u32;
            match vocab.level {
                VocabLevel::Char => {
                    let mut it = t.chars();
                    match (it.next(), it.next()) {
                        (Some(c), None) => {
                            if chars.insert(c, id).is_some() {
                                return Err(bad(format!("token {t:?} appears twice")));
                            }
                        }
                        _ => {
                            return Err(bad(format!(
                                "char-level token {i} ({t:?}) is not one character"
                            )))
                        }
                    }
                }
                VocabLevel::Word => {
                    if words.insert(t.as_str(), id).is_some() {
                        return Err(bad(format!("token {t:?} appears twice")));
                    }
                }
            }
        }
        Ok(Tokenizer {
            vocab,
            chars,
            words,
        })
    }

    /// Ids of a prompt; unknown characters are an error, unknown words `<unk>`.
    pub fn encode_prompt(&self, s: &str) -> Result<Vec<u32>> {
        let file = || "<prompt>".to_string();
        match self.vocab.level {
            VocabLevel::Char => s
                .chars()
                .map(|ch| {
                    self.chars
                        .get(&ch)
                        .copied()
                        .ok_or_else(|| TrainError::Vocab {
                            file: file(),
                            msg: format!("{ch:?} is not in the model's vocabulary"),
                        })
                })
                .collect(),
            VocabLevel::Word => {
                let unk = self.words.get(UNK).copied();
                s.split_whitespace()
                    .map(|w| {
                        self.words
                            .get(w)
                            .copied()
                            .or(unk)
                            .ok_or_else(|| TrainError::Vocab {
                                file: file(),
                                msg: format!("{w:?} is not in the model's vocabulary"),
                            })
                    })
                    .collect()
            }
        }
    }

    /// Text of a token stream (words joined by spaces, `<eos>` as newline).
    pub fn decode(&self, ids: &[u32]) -> String {
        let tok = |id: u32| {
            self.vocab
                .tokens
                .get(id as usize)
                .map(String::as_str)
                .unwrap_or("?")
        };
        match self.vocab.level {
            VocabLevel::Char => ids.iter().map(|&i| tok(i)).collect(),
            VocabLevel::Word => {
                let mut out = String::new();
                for &i in ids {
                    let t = tok(i);
                    if t == EOS {
                        out.push('\n');
                    } else {
                        if !(out.is_empty() || out.ends_with('\n')) {
                            out.push(' ');
                        }
                        out.push_str(t);
                    }
                }
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus(s: &str) -> Result<Corpus> {
        Corpus::from_bytes(s.as_bytes(), "c.txt")
    }

    #[test]
    fn bad_corpora_are_named() {
        let e = Corpus::from_bytes(b"", "e.txt").unwrap_err().to_string();
        assert!(e.starts_with("e.txt:") && e.contains("empty"), "{e}");
        let e = Corpus::from_bytes(b"ab\0cd", "b.bin")
            .unwrap_err()
            .to_string();
        assert!(e.contains("b.bin") && e.contains("NUL"), "{e}");
        let e = Corpus::from_bytes(&[0x66, 0xff, 0xfe, 0x41], "u.bin")
            .unwrap_err()
            .to_string();
        assert!(e.contains("UTF-8"), "{e}");
        let e = Corpus::from_bytes(b"\x01\x02\x03abc", "ctl.bin")
            .unwrap_err()
            .to_string();
        assert!(e.contains("control"), "{e}");
        assert!(corpus("  \n ").is_err());
    }

    #[test]
    fn char_vocab_and_mismatch() {
        let c = corpus("hello world\n").unwrap();
        let v = c.build_vocab(VocabLevel::Char).unwrap();
        assert_eq!(v.tokens.len(), 9);
        let ids = c.encode(&v).unwrap();
        assert_eq!(ids.len(), 12);
        let t = Tokenizer::new(&v).unwrap();
        assert_eq!(t.decode(&ids), "hello world\n");
        let other = corpus("hello\nwörld").unwrap();
        let e = other.encode(&v).unwrap_err().to_string();
        assert!(
            e.contains("c.txt") && e.contains("'ö'") && e.contains("line 2"),
            "{e}"
        );
    }

    #[test]
    fn word_vocab_maps_unknown_words() {
        let text = "a b c\n".repeat(20) + "d e\n";
        let c = corpus(&text).unwrap();
        let v = c.build_vocab(VocabLevel::Word).unwrap();
        // d, e are in the test split only.
        assert!(v.tokens.iter().any(|t| t == UNK));
        assert!(!v.tokens.iter().any(|t| t == "d"));
        let ids = c.encode(&v).unwrap();
        assert_eq!(ids.len(), 20 * 4 + 3);
        let t = Tokenizer::new(&v).unwrap();
        assert_eq!(t.decode(&ids[..4]), "a b c\n");
    }

    #[test]
    fn splits_cover_everything() {
        let n = 1001;
        let (a, b, c) = (
            split_range(n, Split::Train),
            split_range(n, Split::Valid),
            split_range(n, Split::Test),
        );
        assert_eq!((a.start, a.end, b.end, c.end), (0, b.start, c.start, n));
    }
}
