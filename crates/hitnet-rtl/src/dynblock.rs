//! rust-hdl with widths known only at run time.
//!
//! rust-hdl types every port as `Bits<N>` with a compile-time N, but an
//! accelerator's widths come from the plan (accumulator bits, word widths,
//! memory depths). [`DynBlock`] implements rust-hdl's `Block` and `Logic`
//! traits by hand with run-time port widths, so rust-hdl's own Verilog
//! generator still builds the module hierarchy, the port declarations and
//! the instance wiring, while each module body is rust-hdl's custom-Verilog
//! escape hatch (`Verilog::Custom`). Children may be native rust-hdl blocks
//! (see `leaf.rs`) or other DynBlocks.
use rust_hdl::core::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};

static NEXT_ID: AtomicUsize = AtomicUsize::new(1 << 40);

/// A port with a run-time width.
pub struct DynPort {
    pub name: String,
    pub input: bool,
    pub width: usize,
    id: usize,
}

impl Atom for DynPort {
    fn bits(&self) -> usize {
        self.width
    }
    fn connected(&self) -> bool {
        true
    }
    fn changed(&self) -> bool {
        false
    }
    fn kind(&self) -> AtomKind {
        if self.input {
            AtomKind::InputParameter
        } else {
            AtomKind::OutputParameter
        }
    }
    fn descriptor(&self) -> TypeDescriptor {
        TypeDescriptor {
            name: format!("Bits::<{}>", self.width),
            kind: TypeKind::Bits(self.width),
        }
    }
    fn vcd(&self) -> VCDValue {
        VCDValue::String(String::new())
    }
    fn id(&self) -> usize {
        self.id
    }
    fn verilog(&self) -> VerilogLiteral {
        VerilogLiteral::from(0u32)
    }
    fn constraints(&self) -> Vec<PinConstraint> {
        vec![]
    }
}

/// A module whose ports and body are generated at run time.
pub struct DynBlock {
    pub ports: Vec<DynPort>,
    pub children: Vec<(String, Box<dyn Block>)>,
    pub body: String,
}

impl DynBlock {
    pub fn new() -> DynBlock {
        DynBlock {
            ports: Vec::new(),
            children: Vec::new(),
            body: String::new(),
        }
    }
    pub fn input(&mut self, name: &str, width: usize) -> &mut Self {
        self.port(name, true, width)
    }
    pub fn output(&mut self, name: &str, width: usize) -> &mut Self {
        self.port(name, false, width)
    }
    fn port(&mut self, name: &str, input: bool, width: usize) -> &mut Self {
        assert!(width > 0, "port {name} has zero width");
        assert!(
            !self.ports.iter().any(|p| p.name == name),
            "duplicate port {name}"
        );
        self.ports.push(DynPort {
            name: name.to_string(),
            input,
            width,
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        });
        self
    }
    pub fn child(&mut self, name: &str, block: Box<dyn Block>) -> &mut Self {
        self.children.push((name.to_string(), block));
        self
    }
    /// Width of a port (for the parent's wiring code).
    pub fn width(&self, name: &str) -> usize {
        self.ports
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no port {name}"))
            .width
    }
}

impl Default for DynBlock {
    fn default() -> Self {
        Self::new()
    }
}

impl Logic for DynBlock {
    // Never simulated by rust-hdl: the emitted Verilog runs under Verilator.
    fn update(&mut self) {}
    fn hdl(&self) -> Verilog {
        Verilog::Custom(self.body.clone())
    }
}

impl Block for DynBlock {
    fn connect_all(&mut self) {
        for (_, c) in &mut self.children {
            c.connect_all();
        }
    }
    fn update_all(&mut self) {}
    fn has_changed(&self) -> bool {
        false
    }
    fn accept(&self, name: &str, probe: &mut dyn Probe) {
        probe.visit_start_scope(name, self);
        for p in &self.ports {
            probe.visit_atom(&p.name, p);
        }
        for (n, c) in &self.children {
            c.accept(n, probe);
        }
        probe.visit_end_scope(name, self);
    }
}

/// rust-hdl's Verilog generator with our top-level name (it hard-codes `top`).
pub fn emit(top_name: &str, top: &DynBlock) -> String {
    let mut defines = ModuleDefines::default();
    top.accept(top_name, &mut defines);
    defines.defines()
}
