// Behavioural stand-in for the generated `hitnet_top`: same ports and stream
// rules, a simple stateful ternary function instead of an LSTM. It tests the
// board wrappers on cheap protocol edge cases the generated designs do not
// reach (beats wider than a token, 1-trit beats); the generated module is
// tested behind the same wrappers too. Its reference model is
// `hitnet_fpga::standin::model` (Rust), keep both in step.
//
// Per token x (I trits) and layer l, with u = x for l = 0 and u = the new h of
// layer l-1 otherwise (length U), and h_prev = this layer's h of the previous
// token (all zero when the token starts a new sequence):
//   h[j] = clamp(u[(3j + l) mod U] + h_prev[(j + 1) mod H] - c(j, l), -1, +1)
//   c(j, l) = ((j + l) mod 3) - 1
// Timing: s_ready and m_valid drop now and then (an LFSR decides) so the
// wrapper's handshakes are exercised; outputs start LATENCY cycles after the
// last input beat and leave layer by layer, OUT_BEATS beats each.
//
// Sizes come from macros so a test can pick them without touching the
// wrapper, which instantiates hitnet_top without parameters (as it does the
// generated module).
`default_nettype none
`ifndef HITNET_STANDIN_I
`define HITNET_STANDIN_I 10
`endif
`ifndef HITNET_STANDIN_H
`define HITNET_STANDIN_H 7
`endif
`ifndef HITNET_STANDIN_LAYERS
`define HITNET_STANDIN_LAYERS 2
`endif
`ifndef HITNET_STANDIN_IN_TRITS
`define HITNET_STANDIN_IN_TRITS 3
`endif
`ifndef HITNET_STANDIN_OUT_TRITS
`define HITNET_STANDIN_OUT_TRITS 3
`endif
`ifndef HITNET_STANDIN_LAYER_BITS
`define HITNET_STANDIN_LAYER_BITS 1
`endif
`ifndef HITNET_STANDIN_LATENCY
`define HITNET_STANDIN_LATENCY 5
`endif
module hitnet_top #(
    parameter integer I          = `HITNET_STANDIN_I,
    parameter integer H          = `HITNET_STANDIN_H,
    parameter integer LAYERS     = `HITNET_STANDIN_LAYERS,
    parameter integer IN_TRITS   = `HITNET_STANDIN_IN_TRITS,
    parameter integer OUT_TRITS  = `HITNET_STANDIN_OUT_TRITS,
    parameter integer LAYER_BITS = `HITNET_STANDIN_LAYER_BITS,
    parameter integer LATENCY    = `HITNET_STANDIN_LATENCY
) (
    input  wire                   clk,
    input  wire                   rst,
    input  wire                   s_valid,
    output wire                   s_ready,
    input  wire [ 2*IN_TRITS-1:0] s_data,
    input  wire                   s_first,
    output wire                   m_valid,
    input  wire                   m_ready,
    output wire [2*OUT_TRITS-1:0] m_data,
    output reg  [ LAYER_BITS-1:0] m_layer,
    output wire                   m_last,
    output wire                   idle
);
  localparam integer IN_BEATS = (I + IN_TRITS - 1) / IN_TRITS;
  localparam integer OUT_BEATS = (H + OUT_TRITS - 1) / OUT_TRITS;
  localparam integer BW = $clog2(IN_BEATS + 1);
  localparam integer OBW = $clog2(OUT_BEATS + 1);
  localparam integer LW = $clog2(LATENCY + 2);  // at least 1 bit, also for LATENCY = 0
  localparam [31:0] IN_BEATS32 = IN_BEATS, OUT_BEATS32 = OUT_BEATS, LAYERS32 = LAYERS;
  localparam [31:0] LATENCY32 = LATENCY;
  localparam [BW-1:0] LAST_IN_BEAT = IN_BEATS32[BW-1:0] - 1'b1;
  localparam [OBW-1:0] LAST_OUT_BEAT = OUT_BEATS32[OBW-1:0] - 1'b1;
  localparam [LAYER_BITS-1:0] LAST_LAYER = LAYERS32[LAYER_BITS-1:0] - 1'b1;
  localparam [LW-1:0] WAIT = LATENCY32[LW-1:0];

  localparam integer LBW = $clog2(LAYERS + 1);
  localparam [31:0] LAYERS_M1 = LAYERS - 1;
  localparam [LBW-1:0] LAST_CL = LAYERS_M1[LBW-1:0];
  localparam [1:0] RECV = 2'd0, CALC = 2'd1, LOAD = 2'd2, SEND = 2'd3;
  reg [1:0] state;
  reg [BW-1:0] ibeat;
  reg [OBW-1:0] obeat;
  reg [LW-1:0] wait_cnt;
  reg [15:0] lfsr;  // x^16 + x^14 + x^13 + x^11 + 1, decides the stalls
  reg new_seq;

  // Trits as 2-bit codes. Beats shift into x_sr from the top, so after the
  // last beat trit e sits at bits [2e+1:2e]; positions past I are padding.
  localparam integer XW = 2 * IN_BEATS * IN_TRITS;
  localparam integer OW = 2 * LAYERS * OUT_BEATS * OUT_TRITS;
  reg [XW-1:0] x_sr;
  // Beat on top of x_sr; its low beat is the one shifted out (unused). A
  // plain {s_data, x_sr[XW-1:2*IN_TRITS]} would be an empty slice for one beat.
  /* verilator lint_off UNUSEDSIGNAL */
  wire [XW+2*IN_TRITS-1:0] x_ext = {s_data, x_sr};
  /* verilator lint_on UNUSEDSIGNAL */
  wire [2*I-1:0] x = x_sr[2*I-1:0];
  reg [2*H*LAYERS-1:0] h;  // every layer's state
  reg [LBW-1:0] cl;  // layer computed in CALC
  // Output beats of all layers in sending order, next beat in the low bits.
  reg [OW-1:0] o_sr;
  reg [OW-1:0] o_load;

  assign s_ready = (state == RECV) && lfsr[0];
  assign m_valid = (state == SEND) && (lfsr[1] || lfsr[2]);
  assign m_data = o_sr[2*OUT_TRITS-1:0];
  assign m_last = obeat == LAST_OUT_BEAT;
  assign idle = (state == RECV) && (ibeat == 0);

  function automatic signed [3:0] tval(input [1:0] code);  // 2-bit code -> -1..1
    tval = code[0] ? (code[1] ? -4'sd1 : 4'sd1) : 4'sd0;
  endfunction
  function automatic [1:0] tcode(input signed [3:0] v);  // clamp to -1..1 -> code
    tcode = (v > 0) ? 2'b01 : ((v < 0) ? 2'b11 : 2'b00);
  endfunction

  // One layer per clock in CALC (layer cl): its u is x or the already
  // updated h of layer cl-1, its h_prev the not yet updated h of layer cl.
  // The loop over l only selects layer cl; indices stay constants.
  integer l, j;
  reg signed [3:0] sum, c4;
  reg [2*H-1:0] hl;
  always @(*) begin
    hl  = 0;
    sum = 0;  // temporaries, assigned here so no latch is inferred
    c4  = 0;
    j   = 0;
    for (l = 0; l < LAYERS; l = l + 1) begin
      if (cl == l[LBW-1:0]) begin
        for (j = 0; j < H; j = j + 1) begin
          if (l == 0) sum = tval(x[2*((3*j+l)%I)+:2]);
          else sum = tval(h[2*(H*(l-1)+(3*j+l)%H)+:2]);
          if (!new_seq) sum = sum + tval(h[2*(H*l+(j+1)%H)+:2]);
          c4  = ((j + l) % 3 == 0) ? -4'sd1 : (((j + l) % 3 == 1) ? 4'sd0 : 4'sd1);  // c(j, l)
          sum = sum - c4;
          hl[2*j+:2] = tcode(sum);
        end
      end
    end
  end

  // h laid out as beats: layer l, element e at beat position
  // l * OUT_BEATS * OUT_TRITS + e; zero past H.
  integer ol, oe;
  always @(*) begin
    o_load = 0;
    for (ol = 0; ol < LAYERS; ol = ol + 1)
      for (oe = 0; oe < H; oe = oe + 1)
        o_load[2*(ol*OUT_BEATS*OUT_TRITS+oe)+:2] = h[2*(H*ol+oe)+:2];
  end

  integer wl;  // loop variable of the clocked block (one driver per variable)
  always @(posedge clk) begin
    if (rst) begin
      state    <= RECV;
      ibeat    <= 0;
      obeat    <= 0;
      m_layer  <= 0;
      wait_cnt <= 0;
      lfsr     <= 16'hACE1;
      new_seq  <= 1'b0;
      x_sr     <= 0;
      h        <= 0;
      o_sr     <= 0;
      cl       <= 0;
    end else begin
      lfsr <= {lfsr[14:0], lfsr[15] ^ lfsr[13] ^ lfsr[12] ^ lfsr[10]};
      case (state)
        RECV:
        if (s_valid && s_ready) begin
          if (ibeat == 0) new_seq <= s_first;
          x_sr <= x_ext[XW+2*IN_TRITS-1:2*IN_TRITS];
          if (ibeat == LAST_IN_BEAT) begin
            ibeat    <= 0;
            wait_cnt <= WAIT;
            cl       <= 0;
            state    <= CALC;
          end else ibeat <= ibeat + 1'b1;
        end
        CALC:
        if (wait_cnt != 0) wait_cnt <= wait_cnt - 1'b1;
        else begin
          for (wl = 0; wl < LAYERS; wl = wl + 1) if (cl == wl[LBW-1:0]) h[2*H*wl+:2*H] <= hl;
          cl <= cl + 1'b1;
          if (cl == LAST_CL) state <= LOAD;
        end
        LOAD: begin
          o_sr    <= o_load;
          obeat   <= 0;
          m_layer <= 0;
          state   <= SEND;
        end
        default:  // SEND
        if (m_valid && m_ready) begin
          o_sr <= o_sr >> (2 * OUT_TRITS);
          if (obeat == LAST_OUT_BEAT) begin
            obeat <= 0;
            if (m_layer == LAST_LAYER) state <= RECV;
            else m_layer <= m_layer + 1'b1;
          end else obeat <= obeat + 1'b1;
        end
      endcase
    end
  end
endmodule
`default_nettype wire
