// hitnet_uart: the HitNet accelerator `hitnet_top` behind a UART (8N1).
//
// Byte protocol (fpga/README.md has the full description):
//   host -> device, per token: one header byte (bit 0 = start a new sequence,
//     bits 7..1 reserved, send 0), then ceil(I/4) bytes of packed trits: trit k
//     in byte k/4, bits [2(k%4)+1 : 2(k%4)], 00 = 0, 01 = +1, 11 = -1.
//   device -> host, per token: the h vector of the last layer (ALL_LAYERS = 0)
//     or of every layer in layer order (ALL_LAYERS = 1), each ceil(H/4) bytes
//     packed the same way; unused trits of the last byte are 0.
// The host keeps one token in flight: it sends token t+1 after the reply of
// token t. The RX FIFO must hold one whole token (1 + ceil(I/4) bytes), so
// the accelerator may stall its input for as long as it likes. Bytes that
// arrive while the FIFO is full are dropped and set rx_error.
//
// The widths must match the generated hitnet_top (manifest.json); `hitnet_top`
// is instantiated without parameter overrides so the generated module needs
// none.
`default_nettype none
module hitnet_uart #(
    parameter integer CLK_HZ       = 12_000_000,
    parameter integer BAUD         = 115_200,
    parameter integer I            = 10,  // input trits per token
    parameter integer H            = 7,   // hidden trits per layer
    parameter integer LAYERS       = 2,
    parameter integer IN_TRITS     = 3,   // trits per input beat
    parameter integer OUT_TRITS    = 3,   // trits per output beat
    parameter integer LAYER_BITS   = 1,   // width of m_layer
    parameter integer ALL_LAYERS   = 0,   // 1: reply with every layer's h; 0: last layer only
    parameter integer RX_FIFO_LOG2 = 7    // RX FIFO depth 2^n bytes; >= 1 + ceil(I/4)
) (
    input  wire clk,
    input  wire rst,       // synchronous, active high
    input  wire uart_rx,
    output wire uart_tx,
    output reg  rx_error,  // sticky until reset: framing error or RX FIFO overflow
    output wire busy,      // a token is being received or answered
    output wire acc_idle   // hitnet_top's idle
);
  localparam integer CLKS_PER_BIT = (CLK_HZ + BAUD / 2) / BAUD;
  localparam integer IN_BEATS = (I + IN_TRITS - 1) / IN_TRITS;
  localparam integer IN_POS = IN_BEATS * IN_TRITS;  // trit positions over all beats of a token
  localparam integer QW = $clog2(IN_POS + 1);
  localparam integer PW = $clog2(IN_TRITS + 1);
  localparam integer BW = $clog2(IN_BEATS + 1);
  localparam integer OPW = $clog2(OUT_TRITS + 1);
  localparam integer OCW = $clog2(H + 1);
  localparam integer DEPTH = 1 << RX_FIFO_LOG2;
  // Constants cut to their counter widths (keeps verilator -Wall quiet).
  localparam [31:0] I32 = I, IN_TRITS32 = IN_TRITS, IN_BEATS32 = IN_BEATS;
  localparam [31:0] OUT_TRITS32 = OUT_TRITS, H32 = H, LAST_LAYER32 = LAYERS - 1;
  localparam [QW-1:0] I_Q = I32[QW-1:0];
  localparam [PW-1:0] IN_TRITS_P = IN_TRITS32[PW-1:0];
  localparam [BW-1:0] IN_BEATS_B = IN_BEATS32[BW-1:0];
  localparam [OPW-1:0] OUT_TRITS_P = OUT_TRITS32[OPW-1:0];
  localparam [OCW-1:0] H_C = H32[OCW-1:0];
  localparam [LAYER_BITS-1:0] LAST_LAYER = LAST_LAYER32[LAYER_BITS-1:0];

  // ---------------------------------------------------------------- UART
  wire [7:0] rx_byte;
  wire rx_valid, rx_frame_err;
  hitnet_uart_rx #(
      .CLKS_PER_BIT(CLKS_PER_BIT)
  ) u_rx (
      .clk(clk),
      .rst(rst),
      .rx(uart_rx),
      .data(rx_byte),
      .valid(rx_valid),
      .frame_err(rx_frame_err)
  );

  reg  [7:0] tx_byte;
  reg        tx_valid;
  wire       tx_ready;
  hitnet_uart_tx #(
      .CLKS_PER_BIT(CLKS_PER_BIT)
  ) u_tx (
      .clk(clk),
      .rst(rst),
      .data(tx_byte),
      .valid(tx_valid),
      .ready(tx_ready),
      .tx(uart_tx)
  );

  // ---------------------------------------------------------------- RX FIFO
  // Synchronous read so yosys can map it to one block RAM. Empty and full
  // are registered flags, kept off the read-enable path for speed.
  reg [7:0] fifo[0:DEPTH-1];
  reg [RX_FIFO_LOG2-1:0] wr_ptr, rd_ptr;
  reg [RX_FIFO_LOG2:0] count;
  reg fifo_has, fifo_full;
  reg [7:0] fifo_q;
  reg fifo_pop;
  wire fifo_push = rx_valid && !fifo_full;
  localparam [31:0] DEPTH_M1_32 = DEPTH - 1;
  localparam [RX_FIFO_LOG2:0] DEPTH_M1 = DEPTH_M1_32[RX_FIFO_LOG2:0];

  always @(posedge clk) begin
    if (fifo_push) fifo[wr_ptr] <= rx_byte;
    fifo_q <= fifo[rd_ptr];
  end

  always @(posedge clk) begin
    if (rst) begin
      wr_ptr    <= 0;
      rd_ptr    <= 0;
      count     <= 0;
      fifo_has  <= 1'b0;
      fifo_full <= 1'b0;
      rx_error  <= 1'b0;
    end else begin
      if (fifo_push) wr_ptr <= wr_ptr + 1'b1;
      if (fifo_pop) rd_ptr <= rd_ptr + 1'b1;
      case ({
        fifo_push, fifo_pop
      })
        2'b10: begin
          count     <= count + 1'b1;
          fifo_has  <= 1'b1;
          fifo_full <= count == DEPTH_M1;
        end
        2'b01: begin
          count     <= count - 1'b1;
          fifo_has  <= count != 1;
          fifo_full <= 1'b0;
        end
        default: ;
      endcase
      if (rx_frame_err || (rx_valid && fifo_full)) rx_error <= 1'b1;
    end
  end

  // ---------------------------------------------------------------- accelerator
  reg  [2*IN_TRITS-1:0] s_data;
  reg                   s_first_tok;  // header bit 0 of the token being sent
  reg  [        BW-1:0] beat;  // input beat index within the token
  wire                  s_valid;
  wire                  s_ready;
  wire                  m_valid;
  wire                  m_ready;
  wire [2*OUT_TRITS-1:0] m_data;
  wire [LAYER_BITS-1:0] m_layer;
  wire                  m_last;

  hitnet_top u_acc (
      .clk(clk),
      .rst(rst),
      .s_valid(s_valid),
      .s_ready(s_ready),
      .s_data(s_data),
      .s_first(s_first_tok && beat == 0),
      .m_valid(m_valid),
      .m_ready(m_ready),
      .m_data(m_data),
      .m_layer(m_layer),
      .m_last(m_last),
      .idle(acc_idle)
  );

  // ---------------------------------------------------------------- input path
  // Unpacks one trit per clock into the beat shift register; trit positions
  // q >= I are zero, and the trits of the last byte past I are dropped.
  // One-hot states: the FIFO read enable decodes a single bit per state.
  localparam integer S_HDR = 0, S_HDRW = 1, S_TRIT = 2, S_BYTEW = 3, S_BEAT = 4;
  reg [4:0] s_st;
  reg [QW-1:0] q;  // trit position in the token
  reg [PW-1:0] pos;  // trit position in the beat
  reg [7:0] bsr;  // trits of the current byte, next one in [1:0]
  reg [2:0] nt;  // trits left in bsr
  reg in_data;  // q < I: the trit comes from the bytes, else it is padding
  reg nt_zero;  // nt == 0, registered to keep the FIFO read enable short
  wire need_byte = in_data && nt_zero;
  // Next trit on top of the beat register; its low trit is the one shifted
  // out (unused). A plain {t, s_data[2*IN_TRITS-1:2]} breaks for IN_TRITS = 1.
  /* verilator lint_off UNUSEDSIGNAL */
  wire [2*IN_TRITS+1:0] s_ext = {in_data ? bsr[1:0] : 2'b00, s_data};
  /* verilator lint_on UNUSEDSIGNAL */

  assign s_valid = s_st[S_BEAT];

  always @(*) fifo_pop = fifo_has && (s_st[S_HDR] || (s_st[S_TRIT] && need_byte));

  always @(posedge clk) begin
    if (rst) begin
      s_st        <= 5'b00001;  // S_HDR
      s_first_tok <= 1'b0;
      s_data      <= 0;
      beat        <= 0;
      q           <= 0;
      pos         <= 0;
      bsr         <= 8'd0;
      nt          <= 3'd0;
      nt_zero     <= 1'b1;
      in_data     <= 1'b0;
    end else begin
      if (s_st[S_HDR]) begin
        if (fifo_pop) s_st <= 5'b00010;  // S_HDRW
      end
      if (s_st[S_HDRW]) begin  // fifo_q holds the header now
        s_first_tok <= fifo_q[0];
        beat        <= 0;
        q           <= 0;
        pos         <= 0;
        nt          <= 3'd0;
        nt_zero     <= 1'b1;
        in_data     <= 1'b1;  // I >= 1
        s_st        <= 5'b00100;  // S_TRIT
      end
      if (s_st[S_TRIT]) begin
        if (need_byte) begin
          if (fifo_pop) s_st <= 5'b01000;  // S_BYTEW
        end else begin
          s_data <= s_ext[2*IN_TRITS+1:2];
          if (in_data) begin
            bsr     <= {2'b00, bsr[7:2]};
            nt      <= nt - 1'b1;
            nt_zero <= nt == 3'd1;
            if (q == I_Q - 1'b1) in_data <= 1'b0;
          end
          q   <= q + 1'b1;
          pos <= pos + 1'b1;
          if (pos == IN_TRITS_P - 1'b1) s_st <= 5'b10000;  // S_BEAT
        end
      end
      if (s_st[S_BYTEW]) begin
        bsr     <= fifo_q;
        nt      <= 3'd4;
        nt_zero <= 1'b0;
        s_st    <= 5'b00100;  // S_TRIT
      end
      if (s_st[S_BEAT] && s_ready) begin
        pos  <= 0;
        beat <= beat + 1'b1;
        if (beat == IN_BEATS_B - 1'b1) s_st <= 5'b00001;  // S_HDR
        else s_st <= 5'b00100;  // S_TRIT
      end
    end
  end

  // ---------------------------------------------------------------- output path
  // Takes a beat, walks its trits one per clock, packs 4 per byte and sends
  // each byte before going on (m_ready stays low meanwhile: AXI-Stream
  // backpressure). Trits past H in the last beat are padding and dropped.
  localparam [1:0] O_IDLE = 2'd0, O_SER = 2'd1, O_TX = 2'd2;
  reg [1:0] o_state;
  reg [2*OUT_TRITS-1:0] obeat;
  reg olast;
  reg [OPW-1:0] opos;  // trits of obeat consumed
  reg [OCW-1:0] ocnt;  // trits of this layer's h packed so far
  reg o_more;  // ocnt < H, registered: the rest of the beat is padding once it drops
  reg [1:0] bpos;  // next trit slot in the byte
  reg [7:0] acc;  // byte being packed
  reg o_done;  // after the byte in flight: this h vector is complete
  wire reported = (ALL_LAYERS != 0) || (m_layer == LAST_LAYER);
  reg [7:0] acc_next;

  assign m_ready = o_state == O_IDLE;

  always @(*) begin
    acc_next = acc;
    case (bpos)
      2'd0: acc_next[1:0] = obeat[1:0];
      2'd1: acc_next[3:2] = obeat[1:0];
      2'd2: acc_next[5:4] = obeat[1:0];
      default: acc_next[7:6] = obeat[1:0];
    endcase
  end

  always @(posedge clk) begin
    if (rst) begin
      o_state  <= O_IDLE;
      obeat    <= 0;
      olast    <= 1'b0;
      opos     <= 0;
      ocnt     <= 0;
      o_more   <= 1'b1;
      bpos     <= 2'd0;
      acc      <= 8'd0;
      o_done   <= 1'b0;
      tx_byte  <= 8'd0;
      tx_valid <= 1'b0;
    end else begin
      case (o_state)
        O_IDLE:
        if (m_valid && reported) begin  // beats of unreported layers are taken and dropped
          obeat   <= m_data;
          olast   <= m_last;
          opos    <= 0;
          o_state <= O_SER;
        end
        O_SER:
        if (opos == OUT_TRITS_P) begin
          if (olast && bpos != 2'd0) begin  // flush the partial last byte
            tx_byte  <= acc;
            tx_valid <= 1'b1;
            o_done   <= 1'b1;
            o_state  <= O_TX;
          end else begin
            if (olast) begin
              ocnt   <= 0;
              o_more <= 1'b1;
              bpos   <= 2'd0;
              acc    <= 8'd0;
            end
            o_state <= O_IDLE;
          end
        end else begin
          obeat <= obeat >> 2;
          opos  <= opos + 1'b1;
          if (o_more) begin
            ocnt <= ocnt + 1'b1;
            if (ocnt == H_C - 1'b1) o_more <= 1'b0;
            if (bpos == 2'd3) begin
              tx_byte  <= acc_next;
              tx_valid <= 1'b1;
              o_done   <= 1'b0;
              acc      <= 8'd0;
              bpos     <= 2'd0;
              o_state  <= O_TX;
            end else begin
              acc  <= acc_next;
              bpos <= bpos + 1'b1;
            end
          end
        end
        O_TX:
        if (tx_ready) begin  // tx_valid is high here, so the byte is taken now
          tx_valid <= 1'b0;
          if (o_done) begin
            o_done  <= 1'b0;
            ocnt    <= 0;
            o_more  <= 1'b1;
            bpos    <= 2'd0;
            acc     <= 8'd0;
            o_state <= O_IDLE;
          end else o_state <= O_SER;
        end
        default: o_state <= O_IDLE;
      endcase
    end
  end

  assign busy = !s_st[S_HDR] || (o_state != O_IDLE) || fifo_has;
endmodule
`default_nettype wire
