/** The first frame of every WAL segment: identifies the file and the format version. */
export const SEGMENT_FORMAT = 'synod-wal';

export interface SegmentHeader {
  readonly format: typeof SEGMENT_FORMAT;
  readonly version: 1;
  /** Equal to the number in the file name; a renamed or misplaced segment is refused. */
  readonly segment: number;
}

export function segmentHeader(sequence: number): SegmentHeader {
  return { format: SEGMENT_FORMAT, version: 1, segment: sequence };
}
