//! Reader of the UEA/UCR time-series classification `.ts` format as aeon
//! and sktime read it: `@` header lines (keywords case-insensitive), then
//! `@data` and one case per line, channels separated by `:`, the values of
//! a channel by `,`, and the class label as the last `:`-field. Lines
//! starting with `#` and blank lines are skipped anywhere.
//!
//! Refused, each with a [`TrainError::Ts`] naming the file and the 1-based
//! line: regression files (`@targetLabel`, `@classLabel false`),
//! timestamped files, and missing values (`?`, `NaN`). This reader does not
//! impute: fill the gaps or drop those cases before training.
use std::path::Path;

use crate::error::TrainError;

/// One `.ts` file: a classification problem with `channels` variables.
#[derive(Debug, Clone, PartialEq)]
pub struct TsDataset {
    pub problem: String,
    pub channels: usize,
    /// The class names in `@classLabel` order.
    pub classes: Vec<String>,
    pub series: Vec<TsSeries>,
}

/// One case: a multivariate series and its class.
#[derive(Debug, Clone, PartialEq)]
pub struct TsSeries {
    /// Index into [`TsDataset::classes`].
    pub label: usize,
    /// `[time][channel]`; every time step has all the channels.
    pub values: Vec<Vec<f32>>,
    /// The 1-based line of the case in its file.
    pub line: usize,
}

/// Reads and parses a `.ts` file; errors name `path`.
pub fn read_ts(path: &Path) -> Result<TsDataset, TrainError> {
    let text = std::fs::read_to_string(path).map_err(|e| TrainError::io(path, e))?;
    parse_ts(&text, &path.display().to_string())
}

fn ts(file: &str, line: usize, msg: String) -> TrainError {
    let file = file.to_string();
    TrainError::Ts { file, line, msg }
}

/// `return Err(ts(file, line, format!(..)))`.
macro_rules! bail {
    ($file:expr, $line:expr, $($msg:tt)+) => { return Err(ts($file, $line, format!($($msg)+))) };
}

#[derive(Default)]
struct Header {
    problem: String,
    univariate: Option<bool>,
    dimensions: Option<usize>,
    equal_length: bool,
    series_length: Option<usize>,
    classes: Option<Vec<String>>,
    seen: Vec<String>,
}

/// Parses the text of a `.ts` file; `file` names it in the errors.
pub fn parse_ts(text: &str, file: &str) -> Result<TsDataset, TrainError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut h = Header::default();
    let (mut data_at, mut channels, mut first_len) = (None, None, None);
    let (mut series, mut last) = (Vec::new(), 1);
    for (i, raw) in text.lines().enumerate() {
        let (n, line) = (i + 1, raw.trim());
        last = n;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if data_at.is_none() {
            let Some(head) = line.strip_prefix('@') else {
                bail!(file, n, "data before @data: put the cases after the `@data` line or comment the line out with `#`");
            };
            if header(&mut h, head, n, file)? {
                data_at = Some(n);
                if h.classes.is_none() {
                    bail!(file, n, "no @classLabel header before @data: this reader needs a classification set (`@classLabel true <labels>`)");
                }
                channels = match (h.univariate, h.dimensions) {
                    (Some(true), Some(d)) if d != 1 => {
                        bail!(file, n, "@univariate true contradicts @dimensions {d}: a univariate file has one channel; fix one of the two")
                    }
                    (Some(true), _) => Some(1),
                    (_, d) => d,
                };
            }
            continue;
        }
        if line.starts_with('@') {
            let head = clip(line);
            bail!(file, n, "header line `{head}` after @data: every header line must come before `@data`; move it up");
        }
        let classes = h.classes.as_deref().unwrap_or_default();
        let (s, d) = case(line, n, channels, classes, file)?;
        let len = s.values.len();
        channels = Some(d);
        if h.equal_length {
            let (l0, n0) = *first_len.get_or_insert((len, n));
            if len != l0 {
                bail!(file, n, "the case has length {len} but the first case (line {n0}) has {l0}, and the header says @equalLength true; set @equalLength false or fix the case");
            }
            if let Some(sl) = h.series_length.filter(|&sl| sl != len) {
                bail!(file, n, "the case has length {len} but the header says @seriesLength {sl}; fix @seriesLength or the case");
            }
        }
        series.push(s);
    }
    let Some(data_at) = data_at else {
        bail!(file, last, "no @data line: the header must end with a `@data` line followed by one case per line; is the file truncated?");
    };
    if series.is_empty() {
        bail!(file, data_at, "no cases after @data: the file is truncated or not a data set; a split needs at least one case");
    }
    let classes = h.classes.unwrap_or_default();
    let (problem, channels) = (h.problem, channels.unwrap_or(1));
    Ok(TsDataset {
        problem,
        channels,
        classes,
        series,
    })
}

/// Applies one header line (without its `@`); true at `@data`.
fn header(h: &mut Header, head: &str, n: usize, file: &str) -> Result<bool, TrainError> {
    let (kw, rest) = head.split_once(char::is_whitespace).unwrap_or((head, ""));
    let (key, rest) = (kw.to_ascii_lowercase(), rest.trim());
    let (kw, quoted) = (clip(kw), clip(rest));
    if h.seen.contains(&key) {
        bail!(file, n, "@{kw} appears twice; keep one");
    }
    h.seen.push(key.clone());
    let flag = || match rest.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ts(
            file,
            n,
            format!("@{kw} needs `true` or `false`, found `{quoted}`; write e.g. `@{kw} false`"),
        )),
    };
    let count = || match rest.parse::<usize>() {
        Ok(v) if v > 0 => Ok(v),
        _ => Err(ts(
            file,
            n,
            format!("@{kw} needs a positive integer, found `{quoted}`; write e.g. `@{kw} 100`"),
        )),
    };
    match key.as_str() {
        "problemname" => h.problem = rest.to_string(),
        "timestamps" if flag()? => {
            bail!(file, n, "timestamped .ts files are not supported; convert to `@timeStamps false` (plain values)");
        }
        "timestamps" | "missing" => _ = flag()?,
        "univariate" => h.univariate = Some(flag()?),
        "dimensions" => h.dimensions = Some(count()?),
        "equallength" => h.equal_length = flag()?,
        "serieslength" => h.series_length = Some(count()?),
        "classlabel" => {
            let mut words = rest.split_whitespace();
            if !words.next().is_some_and(|w| w.eq_ignore_ascii_case("true")) {
                bail!(file, n, "`@classLabel {quoted}`: not a classification set; this reader needs `@classLabel true <labels>`");
            }
            let classes: Vec<String> = words.map(str::to_string).collect();
            if classes.is_empty() {
                bail!(file, n, "@classLabel true lists no labels; list the class names after `true`, separated by spaces");
            }
            let mut twice = classes
                .iter()
                .enumerate()
                .filter(|(i, c)| classes[..*i].contains(c));
            if let Some((i, c)) = twice.next() {
                let (c, i) = (clip(c), i + 1);
                bail!(file, n, "class label `{c}` is listed twice in @classLabel (position {i}); list each once");
            }
            h.classes = Some(classes);
        }
        "targetlabel" => {
            bail!(file, n, "@targetLabel: a regression set, not a classification set; this reader needs `@classLabel true <labels>`");
        }
        "data" => return Ok(true),
        _ => {
            bail!(file, n, "unknown header keyword @{kw}; known: @problemName @timeStamps @missing @univariate @dimensions @equalLength @seriesLength @classLabel @data");
        }
    }
    Ok(false)
}

/// Parses one case line; returns the series and its channel count.
fn case(
    line: &str,
    n: usize,
    channels: Option<usize>,
    classes: &[String],
    file: &str,
) -> Result<(TsSeries, usize), TrainError> {
    let fields: Vec<&str> = line.split(':').map(str::trim).collect();
    let (found, last) = (fields.len() - 1, fields[fields.len() - 1]);
    let d = channels.unwrap_or(found.max(1));
    let list = classes.join(", ");
    if found != d {
        if fields.len() == d && !classes.iter().any(|c| c == last) {
            bail!(file, n, "missing class label: the case has {d} channel(s) and no label after them; append `:<label>` with one of [{list}]");
        }
        bail!(file, n, "wrong dimension count: expected {d} channel(s) plus the class label, found {found} channel(s); check @dimensions");
    }
    if last.is_empty() {
        bail!(file, n, "missing class label: the last `:`-field is empty; put one of the @classLabel names [{list}] there");
    }
    let Some(label) = classes.iter().position(|c| c == last) else {
        let last = clip(last);
        bail!(file, n, "class label `{last}` is not in the @classLabel list [{list}]; add it there or fix the case");
    };
    let mut chans: Vec<Vec<f32>> = Vec::new();
    for (c, f) in (1..).zip(&fields[..d]) {
        if f.is_empty() {
            bail!(file, n, "channel {c} is empty; every channel of a case needs at least one comma-separated value");
        }
        let mut vals = Vec::new();
        for (p, v) in (1..).zip(f.split(',').map(str::trim)) {
            if v == "?" || v.eq_ignore_ascii_case("nan") {
                bail!(file, n, "missing value `{v}` at channel {c}, position {p}: this reader does not impute; fill the gap or drop the case");
            }
            match v.parse::<f32>() {
                Ok(x) if x.is_finite() => vals.push(x),
                _ => {
                    let v = clip(v);
                    bail!(file, n, "non-numeric value `{v}` at channel {c}, position {p}; values must be finite decimal numbers");
                }
            }
        }
        if let Some(first) = chans.first().filter(|f| f.len() != vals.len()) {
            let (len, len0) = (vals.len(), first.len());
            bail!(file, n, "channel {c} has {len} values but channel 1 has {len0}; the channels of one case must have the same length");
        }
        chans.push(vals);
    }
    let len = chans.first().map_or(0, Vec::len);
    let values = (0..len)
        .map(|t| chans.iter().map(|ch| ch[t]).collect())
        .collect();
    Ok((
        TsSeries {
            label,
            values,
            line: n,
        },
        d,
    ))
}

/// At most 40 characters of `s`, for quoting input in messages.
fn clip(s: &str) -> String {
    match s.char_indices().nth(40) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_string(),
    }
}

impl TsDataset {
    /// The longest series.
    pub fn max_len(&self) -> usize {
        self.series
            .iter()
            .map(|s| s.values.len())
            .max()
            .unwrap_or(0)
    }

    /// The number of cases of each class, in [`TsDataset::classes`] order.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes.len()];
        for s in &self.series {
            if let Some(c) = counts.get_mut(s.label) {
                *c += 1;
            }
        }
        counts
    }

    /// Checks that `self` (the test split, read from `file`) fits `train`:
    /// the same channels, and the class of every case known to `train`.
    pub fn check_test_against(&self, train: &TsDataset, file: &str) -> Result<(), TrainError> {
        self.train_labels(train, file).map(|_| ())
    }

    /// [`TsDataset::check_test_against`], then relabels `self` with the
    /// class indices of `train` (the two files may list them differently).
    pub fn aligned_to(mut self, train: &TsDataset, file: &str) -> Result<TsDataset, TrainError> {
        let labels = self.train_labels(train, file)?;
        for (s, l) in self.series.iter_mut().zip(labels) {
            s.label = l;
        }
        self.classes = train.classes.clone();
        Ok(self)
    }

    fn train_labels(&self, train: &TsDataset, file: &str) -> Result<Vec<usize>, TrainError> {
        let (ours, theirs) = (self.channels, train.channels);
        if ours != theirs {
            let n = self.series.first().map_or(1, |s| s.line);
            bail!(file, n, "the test split has {ours} channel(s) but the training split has {theirs}; use the TEST file of the same problem");
        }
        let list = train.classes.join(", ");
        let mut out = Vec::new();
        for s in &self.series {
            let name = self.classes.get(s.label).map_or("?", String::as_str);
            let Some(pos) = train.classes.iter().position(|c| c == name) else {
                let name = clip(name);
                bail!(file, s.line, "class `{name}` in {file} is absent from the training split [{list}]; use the TRAIN/TEST pair of one problem");
            };
            out.push(pos);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HEAD: &str = "@problemName Toy\n@timeStamps false\n@missing false\n@univariate false\n\
        @dimensions 2\n@equalLength true\n@seriesLength 3\n@classLabel true a b\n@data\n";

    fn parse(text: &str) -> TsDataset {
        parse_ts(text, "toy.ts").unwrap()
    }

    #[test]
    fn multivariate() {
        let d = parse(&format!("{HEAD}1,2,3:4,5,6:a\n-1.5, 0 ,1e2:7,8,9:b\n"));
        assert_eq!(
            (d.problem.as_str(), d.channels, d.classes.join(" ")),
            ("Toy", 2, "a b".into())
        );
        assert_eq!(d.series[0].values, [[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]);
        let (s0, s1) = (&d.series[0], &d.series[1]);
        assert_eq!((s0.label, s1.label, s1.line), (0, 1, 11));
        assert_eq!(d.series[1].values[2], [100.0, 9.0]);
        assert_eq!((d.max_len(), d.class_counts()), (3, vec![1, 1]));
    }

    #[test]
    fn variable_length() {
        let h =
            "@problemName V\n@univariate false\n@equalLength false\n@classLabel true 1 2 3\n@data";
        let d = parse(&format!("{h}\n1,2:3,4:2\n5:6:3\n7,8,9:1,2,3:3\n"));
        let lens: Vec<usize> = d.series.iter().map(|s| s.values.len()).collect();
        assert_eq!((d.channels, lens, d.max_len()), (2, vec![2, 1, 3], 3));
        assert_eq!(d.class_counts(), [0, 1, 2]);
    }

    #[test]
    fn comments_blanks_and_case() {
        let text = "\u{feff}# intro\n\n@PROBLEMNAME x\r\n  @TimeStamps FALSE\n@UNIVARIATE True\n\
            # mid\n@ClassLabel TRUE 1 2\n\n@DATA\n# after\n1,2,3:2\r\n\n";
        let d = parse(text);
        assert_eq!(
            (d.problem.as_str(), d.channels, d.series.len()),
            ("x", 1, 1)
        );
        assert_eq!((d.series[0].label, d.series[0].line), (1, 11));
        assert_eq!(d.series[0].values, [[1.0], [2.0], [3.0]]);
    }

    /// Bad files: `line | words; in; the message | text`, `\n` for newlines
    /// and a leading `+` for [`HEAD`] before the text.
    const BAD: &str = r"
        10 | wrong dimension; expected 2; found 3 | +1,2,3:4,5,6:7,8,9:a
        10 | wrong dimension; expected 2; found 1 | +1,2,3:a
        10 | channel 2 has 2 values; channel 1 has 3 | +1,2,3:4,5:a
        10 | missing class label; [a, b] | +1,2,3:4,5,6
        10 | missing class label; [a, b] | +1,2,3:4,5,6:
        10 | `c`; not in the @classLabel list [a, b] | +1,2,3:4,5,6:c
        11 | non-numeric; `x`; channel 1, position 2 | +1,2,3:4,5,6:a\n1,x,3:4,5,6:a
        10 | non-numeric; `inf`; channel 2, position 3 | +1,2,3:4,5,inf:a
        10 | missing value `?`; does not impute | +1,?,3:4,5,6:a
        10 | missing value `NaN`; channel 2, position 1 | +1,2,3:NaN,5,6:a
        10 | channel 2 is empty | +1,2,3::a
        11 | after @data | +1,2,3:4,5,6:a\n@data
        11 | length 2; first case (line 10) has 3; @equalLength true | +1,2,3:4,5,6:a\n1,2:4,5:b
        10 | length 2; @seriesLength 3 | +1,2:4,5:b
        9 | no cases | +
        2 | data before @data | @problemName t\n1,2:a
        3 | no @data | @problemName t\n@classLabel true a\n\n
        1 | no @data |
        1 | not a classification set | @classLabel false\n@data\n1:a
        2 | regression; not a classification | #c\n@targetLabel true
        2 | no @classLabel | @problemName t\n@data\n1:a
        1 | unknown header keyword @fooBar | @fooBar 1
        1 | timestamped .ts files are not supported | @timeStamps true\n@data\n(1,2.0):a
        1 | `true` or `false`; `maybe` | @univariate maybe
        1 | positive integer; `0` | @dimensions 0
        1 | `a` is listed twice | @classLabel true a b a
        4 | contradicts | @univariate true\n@dimensions 3\n@classLabel true a\n@data
        2 | @MISSING appears twice | @missing false\n@MISSING false";

    #[test]
    fn errors_name_line_and_cause() {
        for row in BAD.lines().skip(1) {
            let mut cols = row.splitn(3, '|').map(str::trim);
            let line: usize = cols.next().unwrap().parse().unwrap();
            let words = cols.next().unwrap();
            let text = cols.next().unwrap_or("").replace("\\n", "\n");
            let text = text
                .strip_prefix('+')
                .map_or(text.clone(), |t| HEAD.to_string() + t);
            let e = parse_ts(&text, "toy.ts").unwrap_err();
            let msg = e.to_string();
            assert!(
                matches!(e, TrainError::Ts { line: l, .. } if l == line),
                "{row}: {msg}"
            );
            assert!(msg.starts_with(&format!("toy.ts:{line}: ")), "{msg}");
            for w in words.split("; ") {
                assert!(msg.contains(w), "`{w}` not in: {msg}");
            }
        }
    }

    #[test]
    fn files_and_io_errors() {
        let missing = Path::new("/nonexistent/dir/Missing_TRAIN.ts");
        let e = read_ts(missing).unwrap_err();
        assert!(
            matches!(&e, TrainError::Model(hitnet_model::ModelError::Io { path, .. }) if path == missing),
            "{e:?}"
        );
        assert!(e.to_string().contains("/nonexistent/dir/Missing_TRAIN.ts"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Toy_TRAIN.ts");
        std::fs::write(&path, format!("{HEAD}1,2,3:4,5,6:b\n")).unwrap();
        assert_eq!(read_ts(&path).unwrap().series[0].label, 1);
        std::fs::write(&path, format!("{HEAD}1,2,3:4,5,6\n")).unwrap();
        let msg = read_ts(&path).unwrap_err().to_string();
        assert!(
            msg.starts_with(&format!("{}:10: missing class label", path.display())),
            "{msg}"
        );
    }

    #[test]
    fn test_split_against_train() {
        let train = parse(&format!("{HEAD}1,2,3:4,5,6:a\n"));
        let test = parse(
            &(HEAD.replace("a b", "b a")
                + "1,2,3:4,5,6:a
"),
        );
        test.check_test_against(&train, "t.ts").unwrap();
        let aligned = test.clone().aligned_to(&train, "t.ts").unwrap();
        assert_eq!((test.series[0].label, aligned.series[0].label), (1, 0));
        assert_eq!(aligned.classes, train.classes);
        let other = parse(
            &(HEAD.replace("a b", "a c")
                + "1,2,3:4,5,6:a
1,2,3:4,5,6:c
"),
        );
        let refusal = |test: &TsDataset, file: &str| {
            test.check_test_against(&train, file)
                .unwrap_err()
                .to_string()
        };
        let msg = refusal(&other, "t.ts");
        assert!(
            msg.starts_with("t.ts:11: class `c` in t.ts is absent from the training split"),
            "{msg}"
        );
        let uni = parse("@univariate true\n@classLabel true a\n@data\n1,2:a\n");
        let msg = refusal(&uni, "u.ts");
        assert!(
            msg.starts_with("u.ts:4: the test split has 1 channel(s) but the training split has 2"),
            "{msg}"
        );
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in any::<String>(), t in "[@#a-zA-Z0-9 ,:?.\\-\n]{0,200}") {
            let _ = parse_ts(&s, "p.ts");
            let _ = parse_ts(&t, "p.ts");
            let _ = parse_ts(&format!("{HEAD}{t}"), "p.ts");
        }

        #[test]
        fn mutated_file_never_panics(
            edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<char>()), 0..8),
        ) {
            let mut text: Vec<char> = format!("{HEAD}1,2,3:4,5,6:a\n7,8,9:1,2,3:b\n").chars().collect();
            for (at, op, ch) in edits {
                let i = at.index(text.len() + 1);
                match op {
                    0 => text.insert(i, ch),
                    _ if i == text.len() => {}
                    1 => { text.remove(i); }
                    _ => text[i] = if ch.is_alphanumeric() { ch } else { [':', ',', '\n', '@', '?'][i % 5] },
                }
            }
            let text: String = text.into_iter().collect();
            if let Ok(d) = parse_ts(&text, "p.ts") {
                prop_assert!(d.series.iter().all(|s| s.label < d.classes.len() && s.values.iter().all(|v| v.len() == d.channels)));
            }
        }
    }
}
