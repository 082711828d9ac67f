// Simulation models of the two cells nextpnr-ecp5 writes into a routed
// netlist (`--write`) that Yosys's ECP5 library (ecp5/cells_sim.v) lacks.
// Everything else in a routed ECP5 netlist (TRELLIS_COMB, TRELLIS_FF,
// TRELLIS_IO) is Yosys's model. Used by `hitnet verify --stage routed`.
`timescale 1ns / 1ps

// TRELLIS_RAMW: the SLICEC of a distributed RAM in RAMW mode, which only
// routes the write address and data on to the DPRAM LUTs of slices A and B.
// The routing is nextpnr's (ecp5/arch.cc, getCellDelay of TRELLIS_RAMW:
// A0->WADO3, B0->WADO1, C0->WADO2, D0->WADO0, A1->WDO1, B1->WDO3, C1->WDO0,
// D1->WDO2), the inverse of how its packer moved the RAM's WAD[3:0] and
// DI[3:0] onto those pins (ecp5/cells.cc, dram_to_ramw_split), so WADOk is
// the RAM's WAD[k] and WDOk its DI[k].
module TRELLIS_RAMW(
    input  A0, B0, C0, D0, A1, B1, C1, D1,
    output WDO0, WDO1, WDO2, WDO3, WADO0, WADO1, WADO2, WADO3
);
  assign WADO0 = D0;
  assign WADO1 = B0;
  assign WADO2 = C0;
  assign WADO3 = A0;
  assign WDO0 = C1;
  assign WDO1 = A1;
  assign WDO2 = D1;
  assign WDO3 = B1;
endmodule

// DCCA: the global clock buffer nextpnr puts after a clock input. CLKO is
// CLKI while the clock enable CE (active high, Lattice TN1263) is high;
// nextpnr leaves CE unconnected on the buffers it inserts (it gates no
// clock), so an open CE passes the clock.
module DCCA(input CLKI, input CE, output CLKO);
  assign CLKO = (CE === 1'b0) ? 1'b0 : CLKI;
endmodule
