// Simulation model of the Lattice ECP5 DP16KD block RAM, covering what the
// hitnet generator instantiates for ECP5 targets and what Yosys's own
// DP16KD mapping (techlibs/lattice/brams_map_16kd.v) makes of the design's
// written memories: reads and writes at 9 and 18 bits on either port
// (byte enables on AD[1:0] at 18 bits), the 36-bit pseudo-dual-port mode
// (read through port B on the data pins of both ports; write through port
// A with data on DIA and DIB and byte enables on ADA[3:0], as PDPW16KD),
// REGMODE NOREG or OUTREG, clock enables (CE for the read, OCE for the
// output register), chip selects against CSDECODE, synchronous reset (an
// asynchronous one only held low), WRITEMODE NORMAL (a writing port's
// output holds) or READBEFOREWRITE (it reads the old word). A read of the
// 9-bit lanes the other port writes in the same cycle gives x there (the
// silicon's result is not documented; a design must not depend on it). Anything else (another
// width, WRITEMODE WRITETHROUGH on a port that writes, an inverted clock)
// stops the simulation: the model must never silently disagree with the
// hardware.
//
// Why our own: Yosys ships no behavioural DP16KD (cells_sim_ecp5.v declares
// only its parameters). The INITVAL layout (18-bit words in 20-bit slots,
// word a of a W-bit port at bit a*W of that 18-bit stream) and the address and
// data pin order are those of Yosys's own DP16KD mapping of a behavioural
// memory (techlibs/lattice/brams_map_16kd.v); the test
// crates/hitnet-fpga/tests/dp16kd_model.rs simulates Yosys's mapping of ROMs
// in every mode against this model. OUTREG timing follows Lattice TN1264:
// CE loads the read data, OCE loads the output register, one cycle later.
//
// Synthesis never reads it (Yosys defines SYNTHESIS); DP16KD is then the
// primitive. Define HITNET_NO_DP16KD_MODEL to use another model.
`ifndef SYNTHESIS
`ifndef HITNET_NO_DP16KD_MODEL
/* verilator lint_off UNUSEDSIGNAL */
/* verilator lint_off UNUSEDPARAM */
// A true dual-port memory: both ports' clocks write the array.
/* verilator lint_off MULTIDRIVEN */
// String parameters compared with literals of other lengths:
/* verilator lint_off WIDTH */
module DP16KD (
    DIA0, DIA1, DIA2, DIA3, DIA4, DIA5, DIA6, DIA7, DIA8,
    DIA9, DIA10, DIA11, DIA12, DIA13, DIA14, DIA15, DIA16, DIA17,
    ADA0, ADA1, ADA2, ADA3, ADA4, ADA5, ADA6, ADA7, ADA8,
    ADA9, ADA10, ADA11, ADA12, ADA13, CEA, OCEA, CLKA, WEA,
    RSTA, CSA0, CSA1, CSA2, DOA0, DOA1, DOA2, DOA3, DOA4,
    DOA5, DOA6, DOA7, DOA8, DOA9, DOA10, DOA11, DOA12, DOA13,
    DOA14, DOA15, DOA16, DOA17, DIB0, DIB1, DIB2, DIB3, DIB4,
    DIB5, DIB6, DIB7, DIB8, DIB9, DIB10, DIB11, DIB12, DIB13,
    DIB14, DIB15, DIB16, DIB17, ADB0, ADB1, ADB2, ADB3, ADB4,
    ADB5, ADB6, ADB7, ADB8, ADB9, ADB10, ADB11, ADB12, ADB13,
    CEB, OCEB, CLKB, WEB, RSTB, CSB0, CSB1, CSB2, DOB0,
    DOB1, DOB2, DOB3, DOB4, DOB5, DOB6, DOB7, DOB8, DOB9,
    DOB10, DOB11, DOB12, DOB13, DOB14, DOB15, DOB16, DOB17
);
    input DIA0, DIA1, DIA2, DIA3, DIA4, DIA5, DIA6, DIA7, DIA8, DIA9, DIA10, DIA11, DIA12, DIA13, DIA14, DIA15, DIA16, DIA17;
    input ADA0, ADA1, ADA2, ADA3, ADA4, ADA5, ADA6, ADA7, ADA8, ADA9, ADA10, ADA11, ADA12, ADA13;
    input CEA, OCEA, CLKA, WEA, RSTA, CSA0, CSA1, CSA2;
    output DOA0, DOA1, DOA2, DOA3, DOA4, DOA5, DOA6, DOA7, DOA8, DOA9, DOA10, DOA11, DOA12, DOA13, DOA14, DOA15, DOA16, DOA17;
    input DIB0, DIB1, DIB2, DIB3, DIB4, DIB5, DIB6, DIB7, DIB8, DIB9, DIB10, DIB11, DIB12, DIB13, DIB14, DIB15, DIB16, DIB17;
    input ADB0, ADB1, ADB2, ADB3, ADB4, ADB5, ADB6, ADB7, ADB8, ADB9, ADB10, ADB11, ADB12, ADB13;
    input CEB, OCEB, CLKB, WEB, RSTB, CSB0, CSB1, CSB2;
    output DOB0, DOB1, DOB2, DOB3, DOB4, DOB5, DOB6, DOB7, DOB8, DOB9, DOB10, DOB11, DOB12, DOB13, DOB14, DOB15, DOB16, DOB17;
    parameter DATA_WIDTH_A = 18;
    parameter DATA_WIDTH_B = 18;
    parameter REGMODE_A = "NOREG";
    parameter REGMODE_B = "NOREG";
    parameter RESETMODE = "SYNC";
    parameter ASYNC_RESET_RELEASE = "SYNC";
    parameter CSDECODE_A = "0b000";
    parameter CSDECODE_B = "0b000";
    parameter WRITEMODE_A = "NORMAL";
    parameter WRITEMODE_B = "NORMAL";
    parameter CLKAMUX = "CLKA";
    parameter CLKBMUX = "CLKB";
    parameter GSR = "ENABLED";
    parameter [319:0] INITVAL_00 = 320'h0;
    parameter [319:0] INITVAL_01 = 320'h0;
    parameter [319:0] INITVAL_02 = 320'h0;
    parameter [319:0] INITVAL_03 = 320'h0;
    parameter [319:0] INITVAL_04 = 320'h0;
    parameter [319:0] INITVAL_05 = 320'h0;
    parameter [319:0] INITVAL_06 = 320'h0;
    parameter [319:0] INITVAL_07 = 320'h0;
    parameter [319:0] INITVAL_08 = 320'h0;
    parameter [319:0] INITVAL_09 = 320'h0;
    parameter [319:0] INITVAL_0A = 320'h0;
    parameter [319:0] INITVAL_0B = 320'h0;
    parameter [319:0] INITVAL_0C = 320'h0;
    parameter [319:0] INITVAL_0D = 320'h0;
    parameter [319:0] INITVAL_0E = 320'h0;
    parameter [319:0] INITVAL_0F = 320'h0;
    parameter [319:0] INITVAL_10 = 320'h0;
    parameter [319:0] INITVAL_11 = 320'h0;
    parameter [319:0] INITVAL_12 = 320'h0;
    parameter [319:0] INITVAL_13 = 320'h0;
    parameter [319:0] INITVAL_14 = 320'h0;
    parameter [319:0] INITVAL_15 = 320'h0;
    parameter [319:0] INITVAL_16 = 320'h0;
    parameter [319:0] INITVAL_17 = 320'h0;
    parameter [319:0] INITVAL_18 = 320'h0;
    parameter [319:0] INITVAL_19 = 320'h0;
    parameter [319:0] INITVAL_1A = 320'h0;
    parameter [319:0] INITVAL_1B = 320'h0;
    parameter [319:0] INITVAL_1C = 320'h0;
    parameter [319:0] INITVAL_1D = 320'h0;
    parameter [319:0] INITVAL_1E = 320'h0;
    parameter [319:0] INITVAL_1F = 320'h0;
    parameter [319:0] INITVAL_20 = 320'h0;
    parameter [319:0] INITVAL_21 = 320'h0;
    parameter [319:0] INITVAL_22 = 320'h0;
    parameter [319:0] INITVAL_23 = 320'h0;
    parameter [319:0] INITVAL_24 = 320'h0;
    parameter [319:0] INITVAL_25 = 320'h0;
    parameter [319:0] INITVAL_26 = 320'h0;
    parameter [319:0] INITVAL_27 = 320'h0;
    parameter [319:0] INITVAL_28 = 320'h0;
    parameter [319:0] INITVAL_29 = 320'h0;
    parameter [319:0] INITVAL_2A = 320'h0;
    parameter [319:0] INITVAL_2B = 320'h0;
    parameter [319:0] INITVAL_2C = 320'h0;
    parameter [319:0] INITVAL_2D = 320'h0;
    parameter [319:0] INITVAL_2E = 320'h0;
    parameter [319:0] INITVAL_2F = 320'h0;
    parameter [319:0] INITVAL_30 = 320'h0;
    parameter [319:0] INITVAL_31 = 320'h0;
    parameter [319:0] INITVAL_32 = 320'h0;
    parameter [319:0] INITVAL_33 = 320'h0;
    parameter [319:0] INITVAL_34 = 320'h0;
    parameter [319:0] INITVAL_35 = 320'h0;
    parameter [319:0] INITVAL_36 = 320'h0;
    parameter [319:0] INITVAL_37 = 320'h0;
    parameter [319:0] INITVAL_38 = 320'h0;
    parameter [319:0] INITVAL_39 = 320'h0;
    parameter [319:0] INITVAL_3A = 320'h0;
    parameter [319:0] INITVAL_3B = 320'h0;
    parameter [319:0] INITVAL_3C = 320'h0;
    parameter [319:0] INITVAL_3D = 320'h0;
    parameter [319:0] INITVAL_3E = 320'h0;
    parameter [319:0] INITVAL_3F = 320'h0;

    // The 18 Kbit array as 1024 words of 18 bits (INITVAL slot order).
    reg [17:0] m [0:1023];
    integer i;
    initial begin
        for (i = 0; i < 16; i = i + 1) m[0 + i] = INITVAL_00[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[16 + i] = INITVAL_01[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[32 + i] = INITVAL_02[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[48 + i] = INITVAL_03[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[64 + i] = INITVAL_04[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[80 + i] = INITVAL_05[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[96 + i] = INITVAL_06[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[112 + i] = INITVAL_07[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[128 + i] = INITVAL_08[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[144 + i] = INITVAL_09[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[160 + i] = INITVAL_0A[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[176 + i] = INITVAL_0B[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[192 + i] = INITVAL_0C[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[208 + i] = INITVAL_0D[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[224 + i] = INITVAL_0E[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[240 + i] = INITVAL_0F[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[256 + i] = INITVAL_10[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[272 + i] = INITVAL_11[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[288 + i] = INITVAL_12[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[304 + i] = INITVAL_13[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[320 + i] = INITVAL_14[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[336 + i] = INITVAL_15[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[352 + i] = INITVAL_16[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[368 + i] = INITVAL_17[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[384 + i] = INITVAL_18[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[400 + i] = INITVAL_19[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[416 + i] = INITVAL_1A[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[432 + i] = INITVAL_1B[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[448 + i] = INITVAL_1C[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[464 + i] = INITVAL_1D[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[480 + i] = INITVAL_1E[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[496 + i] = INITVAL_1F[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[512 + i] = INITVAL_20[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[528 + i] = INITVAL_21[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[544 + i] = INITVAL_22[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[560 + i] = INITVAL_23[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[576 + i] = INITVAL_24[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[592 + i] = INITVAL_25[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[608 + i] = INITVAL_26[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[624 + i] = INITVAL_27[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[640 + i] = INITVAL_28[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[656 + i] = INITVAL_29[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[672 + i] = INITVAL_2A[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[688 + i] = INITVAL_2B[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[704 + i] = INITVAL_2C[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[720 + i] = INITVAL_2D[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[736 + i] = INITVAL_2E[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[752 + i] = INITVAL_2F[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[768 + i] = INITVAL_30[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[784 + i] = INITVAL_31[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[800 + i] = INITVAL_32[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[816 + i] = INITVAL_33[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[832 + i] = INITVAL_34[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[848 + i] = INITVAL_35[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[864 + i] = INITVAL_36[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[880 + i] = INITVAL_37[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[896 + i] = INITVAL_38[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[912 + i] = INITVAL_39[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[928 + i] = INITVAL_3A[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[944 + i] = INITVAL_3B[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[960 + i] = INITVAL_3C[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[976 + i] = INITVAL_3D[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[992 + i] = INITVAL_3E[20*i +: 18];
        for (i = 0; i < 16; i = i + 1) m[1008 + i] = INITVAL_3F[20*i +: 18];
        if (DATA_WIDTH_B != 9 && DATA_WIDTH_B != 18 && DATA_WIDTH_B != 36) begin
            $display("DP16KD model %m: DATA_WIDTH_B %0d is not modelled", DATA_WIDTH_B);
            $finish;
        end
        if (DATA_WIDTH_A != 9 && DATA_WIDTH_A != 18 && !(DATA_WIDTH_A == 36 || DATA_WIDTH_B == 36)) begin
            $display("DP16KD model %m: DATA_WIDTH_A %0d is not modelled", DATA_WIDTH_A);
            $finish;
        end
        if ((REGMODE_A != "NOREG" && REGMODE_A != "OUTREG") || (REGMODE_B != "NOREG" && REGMODE_B != "OUTREG")) begin
            $display("DP16KD model %m: REGMODE must be NOREG or OUTREG");
            $finish;
        end
        if ((RESETMODE != "SYNC" && RESETMODE != "ASYNC") || CLKAMUX != "CLKA" || CLKBMUX != "CLKB") begin
            $display("DP16KD model %m: only RESETMODE SYNC or ASYNC and uninverted clocks are modelled");
            $finish;
        end
    end
    // Yosys picks RESETMODE ASYNC for a memory without reset and ties RST
    // low; an asynchronous reset that does fire is not modelled.
    always @(posedge RSTA or posedge RSTB) begin
        if (RESETMODE == "ASYNC") begin
            $display("DP16KD model %m: asynchronous reset is not modelled");
            $finish;
        end
    end

    // One read of `w` bits at the address pins `ad` (the word address sits in
    // the top bits: [13:5] at 36 bits, [13:4] at 18, [13:3] at 9).
    function [35:0] rd;
        input integer w;
        input [13:0] ad;
        reg [17:0] lo, hi;
        begin
            rd = 36'd0;
            if (w == 36) begin
                lo = m[{ad[13:5], 1'b0}];
                hi = m[{ad[13:5], 1'b1}];
                rd = {hi, lo};
            end else if (w == 18) begin
                rd[17:0] = m[ad[13:4]];
            end else begin
                lo = m[ad[13:4]];
                rd[8:0] = ad[3] ? lo[17:9] : lo[8:0];
            end
        end
    endfunction

    wire [13:0] ada = {ADA13, ADA12, ADA11, ADA10, ADA9, ADA8, ADA7, ADA6, ADA5, ADA4, ADA3, ADA2, ADA1, ADA0};
    wire [13:0] adb = {ADB13, ADB12, ADB11, ADB10, ADB9, ADB8, ADB7, ADB6, ADB5, ADB4, ADB3, ADB2, ADB1, ADB0};
    wire sela = {CSA2, CSA1, CSA0} == csdecode(CSDECODE_A);
    wire selb = {CSB2, CSB1, CSB0} == csdecode(CSDECODE_B);

    function [2:0] csdecode;
        input [39:0] s;  // "0bXYZ"
        begin
            csdecode = {s[16], s[8], s[0]};
        end
    endfunction

    // Writes (byte enables: 36 bits ADA[3:0], 18 bits AD[1:0]; 9 bits: the
    // half ad[3] of the 18-bit word). Port A writes 36 bits in the PDP mode.
    wire [17:0] dia = {DIA17, DIA16, DIA15, DIA14, DIA13, DIA12, DIA11, DIA10, DIA9, DIA8, DIA7, DIA6, DIA5, DIA4, DIA3, DIA2, DIA1, DIA0};
    wire [17:0] dib = {DIB17, DIB16, DIB15, DIB14, DIB13, DIB12, DIB11, DIB10, DIB9, DIB8, DIB7, DIB6, DIB5, DIB4, DIB3, DIB2, DIB1, DIB0};
    wire wra = CEA & sela & WEA;
    wire wrb = CEB & selb & WEB;
    // The 9-bit lanes of a read of width `rw` at `rad` that a write of width
    // `ww` at `wad` (byte enables in its address pins) changes in the same
    // cycle, as a mask of the 36 read bits. Those bits read x: the silicon's
    // result for them is not documented, and Yosys's mappings never rely on
    // it (they bypass a colliding read in logic); unwritten lanes read normally.
    function [35:0] collide;
        input integer ww;
        input [13:0] wad;
        input integer rw;
        input [13:0] rad;
        reg [3:0] wl_en;
        reg [9:0] wl_word [0:3];
        reg [3:0] wl_half;
        reg [9:0] rword;
        reg rhalf;
        integer l, k, nl;
        begin
            // Written lanes: (18-bit word, half), enabled.
            if (ww == 36) begin
                for (k = 0; k < 4; k = k + 1) begin
                    wl_word[k] = {wad[13:5], k[1]};
                    wl_half[k] = k[0];
                    wl_en[k] = wad[k];
                end
            end else if (ww == 18) begin
                for (k = 0; k < 4; k = k + 1) begin
                    wl_word[k] = wad[13:4];
                    wl_half[k] = k[0];
                    wl_en[k] = k < 2 && wad[k];
                end
            end else begin
                for (k = 0; k < 4; k = k + 1) begin
                    wl_word[k] = wad[13:4];
                    wl_half[k] = wad[3];
                    wl_en[k] = k == 0;
                end
            end
            collide = 36'd0;
            nl = rw == 36 ? 4 : rw == 18 ? 2 : 1;
            for (l = 0; l < nl; l = l + 1) begin
                rword = rw == 36 ? {rad[13:5], l[1]} : rad[13:4];
                rhalf = rw == 9 ? rad[3] : l[0];
                for (k = 0; k < 4; k = k + 1)
                    if (wl_en[k] && wl_word[k] == rword && wl_half[k] == rhalf)
                        collide[9*l +: 9] = 9'h1ff;
            end
        end
    endfunction
    // `v` with the bits of `mask` unknown.
    function [35:0] with_x;
        input [35:0] v;
        input [35:0] mask;
        integer k;
        begin
            with_x = v;
            for (k = 0; k < 36; k = k + 1)
                if (mask[k]) with_x[k] = 1'bx;
        end
    endfunction
    wire [9:0] wa_lo = DATA_WIDTH_A == 36 ? {ada[13:5], 1'b0} : ada[13:4];
    wire [9:0] wa_hi = {ada[13:5], 1'b1};
    wire [9:0] wb_w = adb[13:4];
    always @(posedge CLKA) begin
        if (wra) begin
            if (DATA_WIDTH_A == 36) begin
                if (ada[0]) m[wa_lo][8:0] <= dia[8:0];
                if (ada[1]) m[wa_lo][17:9] <= dia[17:9];
                if (ada[2]) m[wa_hi][8:0] <= dib[8:0];
                if (ada[3]) m[wa_hi][17:9] <= dib[17:9];
            end else if (DATA_WIDTH_A == 18) begin
                if (ada[0]) m[wa_lo][8:0] <= dia[8:0];
                if (ada[1]) m[wa_lo][17:9] <= dia[17:9];
            end else if (ada[3]) begin
                m[wa_lo][17:9] <= dia[8:0];
            end else begin
                m[wa_lo][8:0] <= dia[8:0];
            end
        end
    end
    always @(posedge CLKB) begin
        if (wrb) begin
            if (DATA_WIDTH_B == 36) begin
                $display("DP16KD model %m: a 36-bit write through port B is not modelled");
                $finish;
            end else if (DATA_WIDTH_B == 18) begin
                if (adb[0]) m[wb_w][8:0] <= dib[8:0];
                if (adb[1]) m[wb_w][17:9] <= dib[17:9];
            end else if (adb[3]) begin
                m[wb_w][17:9] <= dib[8:0];
            end else begin
                m[wb_w][8:0] <= dib[8:0];
            end
        end
    end

    // Read latches (CE) and output registers (OCE); GSR clears them.
    reg [35:0] qa = 36'd0, qb = 36'd0, ra = 36'd0, rb = 36'd0;
    always @(posedge CLKA) begin
        if (wra && DATA_WIDTH_A != 36 && WRITEMODE_A != "NORMAL" && WRITEMODE_A != "READBEFOREWRITE") begin
            $display("DP16KD model %m: WRITEMODE_A %0s is not modelled", WRITEMODE_A);
            $finish;
        end
        if (RSTA) begin
            qa <= 36'd0;
            ra <= 36'd0;
        end else begin
            if (CEA & sela & (DATA_WIDTH_B != 36) & (DATA_WIDTH_A != 36) & !(wra & WRITEMODE_A == "NORMAL"))
                qa <= wrb ? with_x(rd(DATA_WIDTH_A, ada), collide(DATA_WIDTH_B, adb, DATA_WIDTH_A, ada)) : rd(DATA_WIDTH_A, ada);
            if (OCEA) ra <= qa;
        end
    end
    // At 36 bits the two halves of the word leave through both ports'
    // output registers; which port's clock and OCE the silicon uses for
    // DOA is not documented, so the model accepts only configurations
    // where it cannot matter (nextpnr sets REGMODE_A = REGMODE_B for a
    // PDPW16KD; hitnet drives OCEA as OCEB and CLKA as CLKB).
    initial begin
        if (DATA_WIDTH_B == 36 && REGMODE_A != REGMODE_B) begin
            $display("DP16KD model %m: at 36 bits REGMODE_A must equal REGMODE_B");
            $finish;
        end
    end
    always @(posedge CLKB) begin
        if (DATA_WIDTH_B == 36 && REGMODE_B == "OUTREG" && OCEA !== OCEB) begin
            $display("DP16KD model %m: at 36 bits with OUTREG, OCEA must follow OCEB");
            $finish;
        end
    end
    always @(posedge CLKB) begin
        if (wrb && WRITEMODE_B != "NORMAL" && WRITEMODE_B != "READBEFOREWRITE") begin
            $display("DP16KD model %m: WRITEMODE_B %0s is not modelled", WRITEMODE_B);
            $finish;
        end
        if (RSTB) begin
            qb <= 36'd0;
            rb <= 36'd0;
        end else begin
            if (CEB & selb & !(wrb & WRITEMODE_B == "NORMAL"))
                qb <= wra ? with_x(rd(DATA_WIDTH_B, adb), collide(DATA_WIDTH_A, ada, DATA_WIDTH_B, adb)) : rd(DATA_WIDTH_B, adb);
            if (OCEB) rb <= qb;
        end
    end
    wire [35:0] oa = REGMODE_A == "OUTREG" ? ra : qa;
    wire [35:0] ob = REGMODE_B == "OUTREG" ? rb : qb;
    // At 36 bits port B's read comes out on DOA (bits 17:0) and DOB (35:18).
    wire [17:0] doa = DATA_WIDTH_B == 36 ? ob[17:0] : oa[17:0];
    wire [17:0] dob = DATA_WIDTH_B == 36 ? ob[35:18] : ob[17:0];
    assign {DOA17, DOA16, DOA15, DOA14, DOA13, DOA12, DOA11, DOA10, DOA9, DOA8, DOA7, DOA6, DOA5, DOA4, DOA3, DOA2, DOA1, DOA0} = doa;
    assign {DOB17, DOB16, DOB15, DOB14, DOB13, DOB12, DOB11, DOB10, DOB9, DOB8, DOB7, DOB6, DOB5, DOB4, DOB3, DOB2, DOB1, DOB0} = dob;
endmodule
/* verilator lint_on WIDTH */
/* verilator lint_on MULTIDRIVEN */
/* verilator lint_on UNUSEDPARAM */
/* verilator lint_on UNUSEDSIGNAL */
`endif
`endif
