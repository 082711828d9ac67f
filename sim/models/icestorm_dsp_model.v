// Simulation model of nextpnr-ice40's ICESTORM_DSP: the packed SB_MAC16
// of a routed netlist, with its buses split into single-bit ports
// (A_0..A_15, O_0..O_31) and the same parameters. It is Yosys's own SB_MAC16
// model (ice40/cells_sim.v) behind the renaming, so nothing of the DSP's
// behaviour is ours. An input nextpnr left unconnected reads 0, except the
// clock enable CE, which reads 1: nextpnr drops constant connections that
// equal the tile's unconnected value, and the synthesized SB_MAC16s of our
// designs tie CE to 1 (the routed netlists have no CE at all), as the logic
// cells' CEN (Yosys's ICESTORM_LC model pulls an open CEN up). Used by `hitnet verify --stage routed`;
// yosys's cell library has no ICESTORM_DSP.
`timescale 1ns / 1ps
module ICESTORM_DSP(A_0, A_1, A_2, A_3, A_4, A_5, A_6, A_7, A_8, A_9, A_10, A_11, A_12, A_13, A_14, A_15, B_0, B_1, B_2, B_3, B_4, B_5, B_6, B_7, B_8, B_9, B_10, B_11, B_12, B_13, B_14, B_15, C_0, C_1, C_2, C_3, C_4, C_5, C_6, C_7, C_8, C_9, C_10, C_11, C_12, C_13, C_14, C_15, D_0, D_1, D_2, D_3, D_4, D_5, D_6, D_7, D_8, D_9, D_10, D_11, D_12, D_13, D_14, D_15, CLK, CE, AHOLD, BHOLD, CHOLD, DHOLD, IRSTTOP, IRSTBOT, ORSTTOP, ORSTBOT, OLOADTOP, OLOADBOT, ADDSUBTOP, ADDSUBBOT, OHOLDTOP, OHOLDBOT, CI, ACCUMCI, SIGNEXTIN, O_0, O_1, O_2, O_3, O_4, O_5, O_6, O_7, O_8, O_9, O_10, O_11, O_12, O_13, O_14, O_15, O_16, O_17, O_18, O_19, O_20, O_21, O_22, O_23, O_24, O_25, O_26, O_27, O_28, O_29, O_30, O_31, CO, ACCUMCO, SIGNEXTOUT);
    parameter [0:0] NEG_TRIGGER = 0;
    parameter [0:0] C_REG = 0;
    parameter [0:0] A_REG = 0;
    parameter [0:0] B_REG = 0;
    parameter [0:0] D_REG = 0;
    parameter [0:0] TOP_8x8_MULT_REG = 0;
    parameter [0:0] BOT_8x8_MULT_REG = 0;
    parameter [0:0] PIPELINE_16x16_MULT_REG1 = 0;
    parameter [0:0] PIPELINE_16x16_MULT_REG2 = 0;
    parameter [1:0] TOPOUTPUT_SELECT = 0;
    parameter [1:0] TOPADDSUB_LOWERINPUT = 0;
    parameter [0:0] TOPADDSUB_UPPERINPUT = 0;
    parameter [1:0] TOPADDSUB_CARRYSELECT = 0;
    parameter [1:0] BOTOUTPUT_SELECT = 0;
    parameter [1:0] BOTADDSUB_LOWERINPUT = 0;
    parameter [0:0] BOTADDSUB_UPPERINPUT = 0;
    parameter [1:0] BOTADDSUB_CARRYSELECT = 0;
    parameter [0:0] MODE_8x8 = 0;
    parameter [0:0] A_SIGNED = 0;
    parameter [0:0] B_SIGNED = 0;
    input A_0, A_1, A_2, A_3, A_4, A_5, A_6, A_7, A_8, A_9, A_10, A_11, A_12, A_13, A_14, A_15;
    input B_0, B_1, B_2, B_3, B_4, B_5, B_6, B_7, B_8, B_9, B_10, B_11, B_12, B_13, B_14, B_15;
    input C_0, C_1, C_2, C_3, C_4, C_5, C_6, C_7, C_8, C_9, C_10, C_11, C_12, C_13, C_14, C_15;
    input D_0, D_1, D_2, D_3, D_4, D_5, D_6, D_7, D_8, D_9, D_10, D_11, D_12, D_13, D_14, D_15;
    input CLK, CE, AHOLD, BHOLD, CHOLD, DHOLD, IRSTTOP, IRSTBOT, ORSTTOP, ORSTBOT, OLOADTOP, OLOADBOT, ADDSUBTOP, ADDSUBBOT, OHOLDTOP, OHOLDBOT, CI, ACCUMCI, SIGNEXTIN;
    output O_0, O_1, O_2, O_3, O_4, O_5, O_6, O_7, O_8, O_9, O_10, O_11, O_12, O_13, O_14, O_15, O_16, O_17, O_18, O_19, O_20, O_21, O_22, O_23, O_24, O_25, O_26, O_27, O_28, O_29, O_30, O_31;
    output CO, ACCUMCO, SIGNEXTOUT;
    // Unconnected (z) inputs read 0.
    function z0; input v; z0 = (v === 1'bz) ? 1'b0 : v; endfunction
    wire [15:0] a_bus = {z0(A_15), z0(A_14), z0(A_13), z0(A_12), z0(A_11), z0(A_10), z0(A_9), z0(A_8), z0(A_7), z0(A_6), z0(A_5), z0(A_4), z0(A_3), z0(A_2), z0(A_1), z0(A_0)};
    wire [15:0] b_bus = {z0(B_15), z0(B_14), z0(B_13), z0(B_12), z0(B_11), z0(B_10), z0(B_9), z0(B_8), z0(B_7), z0(B_6), z0(B_5), z0(B_4), z0(B_3), z0(B_2), z0(B_1), z0(B_0)};
    wire [15:0] c_bus = {z0(C_15), z0(C_14), z0(C_13), z0(C_12), z0(C_11), z0(C_10), z0(C_9), z0(C_8), z0(C_7), z0(C_6), z0(C_5), z0(C_4), z0(C_3), z0(C_2), z0(C_1), z0(C_0)};
    wire [15:0] d_bus = {z0(D_15), z0(D_14), z0(D_13), z0(D_12), z0(D_11), z0(D_10), z0(D_9), z0(D_8), z0(D_7), z0(D_6), z0(D_5), z0(D_4), z0(D_3), z0(D_2), z0(D_1), z0(D_0)};
    wire clk_i = z0(CLK);
    wire ce_i = (CE === 1'bz) ? 1'b1 : CE;
    wire ahold_i = z0(AHOLD);
    wire bhold_i = z0(BHOLD);
    wire chold_i = z0(CHOLD);
    wire dhold_i = z0(DHOLD);
    wire irsttop_i = z0(IRSTTOP);
    wire irstbot_i = z0(IRSTBOT);
    wire orsttop_i = z0(ORSTTOP);
    wire orstbot_i = z0(ORSTBOT);
    wire oloadtop_i = z0(OLOADTOP);
    wire oloadbot_i = z0(OLOADBOT);
    wire addsubtop_i = z0(ADDSUBTOP);
    wire addsubbot_i = z0(ADDSUBBOT);
    wire oholdtop_i = z0(OHOLDTOP);
    wire oholdbot_i = z0(OHOLDBOT);
    wire ci_i = z0(CI);
    wire accumci_i = z0(ACCUMCI);
    wire signextin_i = z0(SIGNEXTIN);
    wire [31:0] o_bus;
    SB_MAC16 #(.NEG_TRIGGER(NEG_TRIGGER), .C_REG(C_REG), .A_REG(A_REG), .B_REG(B_REG), .D_REG(D_REG), .TOP_8x8_MULT_REG(TOP_8x8_MULT_REG), .BOT_8x8_MULT_REG(BOT_8x8_MULT_REG), .PIPELINE_16x16_MULT_REG1(PIPELINE_16x16_MULT_REG1), .PIPELINE_16x16_MULT_REG2(PIPELINE_16x16_MULT_REG2), .TOPOUTPUT_SELECT(TOPOUTPUT_SELECT), .TOPADDSUB_LOWERINPUT(TOPADDSUB_LOWERINPUT), .TOPADDSUB_UPPERINPUT(TOPADDSUB_UPPERINPUT), .TOPADDSUB_CARRYSELECT(TOPADDSUB_CARRYSELECT), .BOTOUTPUT_SELECT(BOTOUTPUT_SELECT), .BOTADDSUB_LOWERINPUT(BOTADDSUB_LOWERINPUT), .BOTADDSUB_UPPERINPUT(BOTADDSUB_UPPERINPUT), .BOTADDSUB_CARRYSELECT(BOTADDSUB_CARRYSELECT), .MODE_8x8(MODE_8x8), .A_SIGNED(A_SIGNED), .B_SIGNED(B_SIGNED)) mac (
        .A(a_bus),
        .B(b_bus),
        .C(c_bus),
        .D(d_bus),
        .CLK(clk_i),
        .CE(ce_i),
        .AHOLD(ahold_i),
        .BHOLD(bhold_i),
        .CHOLD(chold_i),
        .DHOLD(dhold_i),
        .IRSTTOP(irsttop_i),
        .IRSTBOT(irstbot_i),
        .ORSTTOP(orsttop_i),
        .ORSTBOT(orstbot_i),
        .OLOADTOP(oloadtop_i),
        .OLOADBOT(oloadbot_i),
        .ADDSUBTOP(addsubtop_i),
        .ADDSUBBOT(addsubbot_i),
        .OHOLDTOP(oholdtop_i),
        .OHOLDBOT(oholdbot_i),
        .CI(ci_i),
        .ACCUMCI(accumci_i),
        .SIGNEXTIN(signextin_i),
        .O(o_bus),
        .CO(CO),
        .ACCUMCO(ACCUMCO),
        .SIGNEXTOUT(SIGNEXTOUT)
    );
    assign {O_31, O_30, O_29, O_28, O_27, O_26, O_25, O_24, O_23, O_22, O_21, O_20, O_19, O_18, O_17, O_16, O_15, O_14, O_13, O_12, O_11, O_10, O_9, O_8, O_7, O_6, O_5, O_4, O_3, O_2, O_1, O_0} = o_bus;
endmodule
