/** Capture evidence: pcap writing, pcap/pcapng reading, UDP framing, WAV writing. */
export {
  type CapturedFrame,
  type CaptureFile,
  type CaptureFormat,
  captureFormat,
  iterateCapture,
  readCapture,
} from './pcap-reader.ts';
export { type PcapLink, PcapWriter, type PcapWriterOptions, type UdpRecord } from './pcap-writer.ts';
export {
  addressFamily,
  buildIpUdp,
  canBuildIpUdp,
  decodeUdpFrame,
  type Endpoint,
  LINKTYPE,
  type UdpDatagram,
  wrapEthernet,
} from './udp-frame.ts';
export { encodeWav, writeWavFile } from './wav-writer.ts';
