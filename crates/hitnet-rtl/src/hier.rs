//! The generated hierarchy and its one printer.
//!
//! A [`Module`] has run-time port widths (they come from the plan), Verilog
//! parameters, child [`Instance`]s and a body of Verilog text. Children are
//! other modules or [`Leaf`]s: native rust-hdl blocks (`leaf.rs`) whose
//! module text rust-hdl's own generator writes. The printer emits each
//! distinct module once, named `hitnet_<name>`, with ANSI port lists; an
//! instance's inputs are connected by expression in its port list and its
//! outputs appear in the parent as wires `<instance>_<port>`. Two modules
//! given the same name must print the same text (the generator is wrong
//! otherwise, and the printer says so), so 128 PEs or 32 rows are one
//! module each, and what differs between otherwise equal modules (a
//! memory image) is a parameter.
use crate::vlog::range;
use rust_hdl::core::prelude::*;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Every generated module's name starts with this.
pub const PREFIX: &str = "hitnet_";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Port {
    pub name: String,
    pub input: bool,
    pub width: usize,
}

/// One use of a module or leaf inside a parent.
pub struct Instance {
    pub name: String,
    pub of: Child,
    /// Parameter overrides: name, Verilog expression.
    pub params: Vec<(String, String)>,
    /// Input connections: port, Verilog expression in the parent.
    pub inputs: Vec<(String, String)>,
}

pub enum Child {
    Module(Module),
    Leaf(Leaf),
}

impl Child {
    fn name(&self) -> &str {
        match self {
            Child::Module(m) => &m.name,
            Child::Leaf(l) => &l.name,
        }
    }
    fn ports(&self) -> &[Port] {
        match self {
            Child::Module(m) => &m.ports,
            Child::Leaf(l) => &l.ports,
        }
    }
}

/// A module whose ports and body are generated at run time.
pub struct Module {
    /// Printed as `hitnet_<name>`.
    pub name: String,
    /// Verilog parameters: name, default value.
    pub params: Vec<(String, String)>,
    pub ports: Vec<Port>,
    pub children: Vec<Instance>,
    pub body: String,
}

impl Module {
    pub fn new(name: &str) -> Module {
        Module {
            name: name.to_string(),
            params: Vec::new(),
            ports: Vec::new(),
            children: Vec::new(),
            body: String::new(),
        }
    }
    /// A pipelined block: its first ports are the clock, the synchronous
    /// reset and the clock enable.
    pub fn clocked(name: &str) -> Module {
        let mut m = Module::new(name);
        m.input("clk", 1).input("rst", 1).input("en", 1);
        m
    }
    pub fn input(&mut self, name: &str, width: usize) -> &mut Self {
        self.port(name, true, width)
    }
    pub fn output(&mut self, name: &str, width: usize) -> &mut Self {
        self.port(name, false, width)
    }
    /// A Verilog parameter with its default value (a Verilog literal).
    pub fn param(&mut self, name: &str, default: &str) -> &mut Self {
        self.params.push((name.to_string(), default.to_string()));
        self
    }
    fn port(&mut self, name: &str, input: bool, width: usize) -> &mut Self {
        assert!(width > 0, "port {name} has zero width");
        assert!(
            !self.ports.iter().any(|p| p.name == name),
            "duplicate port {name}"
        );
        self.ports.push(Port {
            name: name.to_string(),
            input,
            width,
        });
        self
    }
    /// Adds an instance; connect its inputs with [`Instance::to`].
    pub fn inst(&mut self, name: &str, of: impl Into<Child>) -> &mut Instance {
        assert!(
            !self.children.iter().any(|c| c.name == name),
            "duplicate instance {name}"
        );
        self.children.push(Instance {
            name: name.to_string(),
            of: of.into(),
            params: Vec::new(),
            inputs: Vec::new(),
        });
        self.children.last_mut().unwrap()
    }
    /// Width of a port.
    pub fn width(&self, name: &str) -> usize {
        self.ports
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no port {name}"))
            .width
    }
}

impl Instance {
    /// Connects input `port` to the parent's expression `expr`.
    pub fn to(&mut self, port: &str, expr: impl Into<String>) -> &mut Self {
        let p = self
            .of
            .ports()
            .iter()
            .find(|p| p.name == port)
            .unwrap_or_else(|| panic!("{}: no port {port} on {}", self.name, self.of.name()));
        assert!(p.input, "{}: {port} is an output", self.name);
        assert!(
            !self.inputs.iter().any(|(n, _)| n == port),
            "{}: {port} connected twice",
            self.name
        );
        self.inputs.push((port.to_string(), expr.into()));
        self
    }
    /// Connects several inputs of the same name in the parent (`clk`, `rst`, `en`).
    pub fn same(&mut self, ports: &[&str]) -> &mut Self {
        for p in ports {
            self.to(p, *p);
        }
        self
    }
    pub fn param(&mut self, name: &str, expr: impl Into<String>) -> &mut Self {
        self.params.push((name.to_string(), expr.into()));
        self
    }
}

impl From<Module> for Child {
    fn from(m: Module) -> Child {
        Child::Module(m)
    }
}

impl From<Leaf> for Child {
    fn from(l: Leaf) -> Child {
        Child::Leaf(l)
    }
}

/// A native rust-hdl block with fixed widths, printed by rust-hdl. Make
/// one and clone it for each instance: rust-hdl prints it once.
#[derive(Clone)]
pub struct Leaf {
    pub name: String,
    pub ports: Vec<Port>,
    text: String,
}

/// Collects the top-level ports of a rust-hdl block.
#[derive(Default)]
struct PortProbe {
    depth: usize,
    ports: Vec<Port>,
}

impl Probe for PortProbe {
    fn visit_start_scope(&mut self, _name: &str, _node: &dyn Block) {
        self.depth += 1;
    }
    fn visit_atom(&mut self, name: &str, signal: &dyn Atom) {
        let k = signal.kind();
        if self.depth == 1 && k.is_parameter() {
            self.ports.push(Port {
                name: name.to_string(),
                input: k == AtomKind::InputParameter,
                width: signal.bits(),
            });
        }
    }
    fn visit_end_scope(&mut self, _name: &str, _node: &dyn Block) {
        self.depth -= 1;
    }
}

impl Leaf {
    pub fn new<B: Block>(name: &str, mut block: B) -> Leaf {
        block.connect_all();
        let mut probe = PortProbe::default();
        block.accept("top", &mut probe);
        let mut defines = ModuleDefines::default();
        block.accept(&format!("{PREFIX}{name}"), &mut defines);
        Leaf {
            name: name.to_string(),
            ports: probe.ports,
            text: defines.defines().trim().to_string(),
        }
    }
}

fn print_module(m: &Module) -> String {
    let mut s = String::new();
    let name = format!("{PREFIX}{}", m.name);
    if m.params.is_empty() {
        let _ = writeln!(s, "module {name} (");
    } else {
        let _ = writeln!(s, "module {name} #(");
        let n = m.params.len();
        for (i, (p, v)) in m.params.iter().enumerate() {
            let _ = writeln!(
                s,
                "    parameter {p} = {v}{}",
                if i + 1 < n { "," } else { "" }
            );
        }
        let _ = writeln!(s, ") (");
    }
    let n = m.ports.len();
    for (i, p) in m.ports.iter().enumerate() {
        let dir = if p.input { "input wire" } else { "output reg" };
        let sep = if i + 1 < n { "," } else { "" };
        let _ = writeln!(s, "    {dir} {}{}{sep}", range(p.width), p.name);
    }
    let _ = writeln!(s, ");");
    // Instance outputs first, then the body (which reads them and declares
    // what the instances read), then the instances.
    for c in &m.children {
        for p in c.of.ports().iter().filter(|p| !p.input) {
            let _ = writeln!(s, "    wire {}{}_{};", range(p.width), c.name, p.name);
        }
    }
    for l in m.body.lines() {
        if l.is_empty() {
            s.push('\n');
        } else {
            let _ = writeln!(s, "    {l}");
        }
    }
    for c in &m.children {
        let params = if c.params.is_empty() {
            String::new()
        } else {
            let list: Vec<String> = c.params.iter().map(|(p, v)| format!(".{p}({v})")).collect();
            format!(" #({})", list.join(", "))
        };
        let conns: Vec<String> =
            c.of.ports()
                .iter()
                .map(|p| {
                    let e = if p.input {
                        c.inputs
                            .iter()
                            .find(|(n, _)| *n == p.name)
                            .map(|(_, e)| e.clone())
                            .unwrap_or_else(|| panic!("{}.{}: input not connected", c.name, p.name))
                    } else {
                        format!("{}_{}", c.name, p.name)
                    };
                    format!(".{}({e})", p.name)
                })
                .collect();
        let head = format!("    {PREFIX}{}{params} {}", c.of.name(), c.name);
        let one = format!("{head} ({});", conns.join(", "));
        if one.len() <= 100 {
            let _ = writeln!(s, "{one}");
        } else {
            let _ = writeln!(s, "{head} (\n        {}\n    );", conns.join(",\n        "));
        }
    }
    let _ = writeln!(s, "endmodule");
    s
}

/// Prints `top` and every module below it, each distinct one once, top
/// first, then in the order of first use: (module name, text) pairs.
pub fn print(top: &Module) -> Vec<(String, String)> {
    #[derive(Default)]
    struct Seen {
        order: Vec<String>,
        text: BTreeMap<String, String>,
    }
    impl Seen {
        fn add(&mut self, name: &str, t: String) {
            match self.text.get(name) {
                Some(old) => {
                    assert!(
                        *old == t,
                        "two different modules named {PREFIX}{name}: the generator must give them distinct names or parameters"
                    );
                }
                None => {
                    self.order.push(name.to_string());
                    self.text.insert(name.to_string(), t);
                }
            }
        }
        // Children are visited under every parent, so two equal-named
        // modules with different children are caught too.
        fn module(&mut self, m: &Module) {
            self.add(&m.name, print_module(m));
            for i in &m.children {
                match &i.of {
                    Child::Module(c) => self.module(c),
                    Child::Leaf(l) => {
                        self.add(&l.name, l.text.clone() + "\n");
                    }
                }
            }
        }
    }
    let mut seen = Seen::default();
    seen.module(top);
    seen.order
        .iter()
        .map(|n| (format!("{PREFIX}{n}"), seen.text[n].clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf_user(name: &str, body: &str) -> Module {
        let mut m = Module::new(name);
        m.input("a", 2).output("y", 2);
        m.inst("pe0", Leaf::new("pe", crate::leaf::TernaryPe::default()))
            .to("w", "a")
            .to("z", "a");
        m.body = body.to_string();
        m
    }

    #[test]
    fn equal_modules_print_once_and_names_carry_no_dollar() {
        let mut top = Module::new("top");
        top.input("a", 2).output("y", 2);
        for k in 0..3 {
            top.inst(
                &format!("u{k}"),
                leaf_user("user", "always @(*) y = pe0_p;"),
            )
            .to("a", "a");
        }
        top.body = "always @(*) y = u0_y ^ u1_y ^ u2_y;".into();
        let mods = print(&top);
        let names: Vec<&str> = mods.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["hitnet_top", "hitnet_user", "hitnet_pe"]);
        let all: String = mods.iter().map(|(_, t)| t.as_str()).collect();
        assert!(!all.contains('$'), "{all}");
        assert!(
            mods[0].1.contains("hitnet_user u2 (.a(a), .y(u2_y));"),
            "{}",
            mods[0].1
        );
        assert!(mods[1].1.contains("wire [1:0] pe0_p;"), "{}", mods[1].1);
    }

    #[test]
    #[should_panic(expected = "two different modules named hitnet_user")]
    fn equal_names_with_different_text_are_refused() {
        let mut top = Module::new("top");
        top.input("a", 2);
        top.inst("u0", leaf_user("user", "always @(*) y = pe0_p;"))
            .to("a", "a");
        top.inst("u1", leaf_user("user", "always @(*) y = ~pe0_p;"))
            .to("a", "a");
        print(&top);
    }

    #[test]
    #[should_panic(expected = "u0.a: input not connected")]
    fn an_unconnected_input_is_refused() {
        let mut top = Module::new("top");
        top.inst("u0", leaf_user("user", ""));
        print(&top);
    }
}
