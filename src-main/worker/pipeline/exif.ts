/**
 * Carry a photo's EXIF into an output written from raw pixels. sharp can only set EXIF as
 * libexif-named string fields (`withExif({IFD0: {...}, IFD2: {...}})`), so the input's raw EXIF
 * block is parsed here (TIFF structure, both byte orders) into that form. Tags that cannot be
 * expressed as strings (binary blobs, maker notes, thumbnails) are dropped; dates, camera, author,
 * resolution and GPS survive. Orientation is always written as 1: the pixels are upright.
 */

/** Tag id -> libexif name, per IFD (0 = image, 2 = Exif sub-IFD, 3 = GPS). */
const IFD0_TAGS: Record<number, string> = {
  0x010e: 'ImageDescription', 0x010f: 'Make', 0x0110: 'Model', 0x011a: 'XResolution',
  0x011b: 'YResolution', 0x0128: 'ResolutionUnit', 0x0131: 'Software', 0x0132: 'DateTime',
  0x013b: 'Artist', 0x8298: 'Copyright',
};
const EXIF_TAGS: Record<number, string> = {
  0x829a: 'ExposureTime', 0x829d: 'FNumber', 0x8822: 'ExposureProgram', 0x8827: 'ISOSpeedRatings',
  0x9003: 'DateTimeOriginal', 0x9004: 'DateTimeDigitized', 0x9010: 'OffsetTime',
  0x9011: 'OffsetTimeOriginal', 0x9012: 'OffsetTimeDigitized', 0x9201: 'ShutterSpeedValue',
  0x9202: 'ApertureValue', 0x9204: 'ExposureBiasValue', 0x9205: 'MaxApertureValue',
  0x9207: 'MeteringMode', 0x9208: 'LightSource', 0x9209: 'Flash', 0x920a: 'FocalLength',
  0x9290: 'SubSecTime', 0x9291: 'SubSecTimeOriginal', 0x9292: 'SubSecTimeDigitized',
  0xa402: 'ExposureMode', 0xa403: 'WhiteBalance', 0xa405: 'FocalLengthIn35mmFilm',
  0xa406: 'SceneCaptureType', 0xa420: 'ImageUniqueID', 0xa430: 'CameraOwnerName',
  0xa431: 'BodySerialNumber', 0xa433: 'LensMake', 0xa434: 'LensModel',
};
const GPS_TAGS: Record<number, string> = {
  0x01: 'GPSLatitudeRef', 0x02: 'GPSLatitude', 0x03: 'GPSLongitudeRef', 0x04: 'GPSLongitude',
  0x06: 'GPSAltitude', 0x07: 'GPSTimeStamp', 0x10: 'GPSImgDirectionRef', 0x11: 'GPSImgDirection',
  0x12: 'GPSMapDatum', 0x1d: 'GPSDateStamp',
};
const EXIF_IFD_POINTER = 0x8769;
const GPS_IFD_POINTER = 0x8825;

export type ExifFields = { IFD0: Record<string, string>; IFD2?: Record<string, string>; IFD3?: Record<string, string> };

const TYPE_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1, 8: 2, 9: 4, 10: 8 };

/** Parse a raw EXIF block (with or without the "Exif\0\0" prefix). Malformed data yields what was readable. */
export function parseExif(block: Uint8Array | undefined): ExifFields {
  const result: ExifFields = { IFD0: {} };
  if (!block || block.length < 8) return result;
  let base = 0;
  if (block[0] === 0x45 && block[1] === 0x78 && block[2] === 0x69 && block[3] === 0x66) base = 6;
  const view = new DataView(block.buffer, block.byteOffset + base, block.length - base);
  const order = view.byteLength >= 2 ? view.getUint16(0) : 0;
  if (order !== 0x4949 && order !== 0x4d4d) return result;
  const le = order === 0x4949;
  const u16 = (o: number) => view.getUint16(o, le);
  const u32 = (o: number) => view.getUint32(o, le);
  const inRange = (o: number, n: number) => o >= 0 && o + n <= view.byteLength;

  const readValue = (type: number, count: number, at: number): string | undefined => {
    const size = TYPE_SIZE[type];
    if (size === undefined || count === 0 || count > 4096) return undefined;
    const total = size * count;
    const off = total <= 4 ? at : u32(at);
    if (!inRange(off, total)) return undefined;
    if (type === 2) {
      let s = '';
      for (let i = 0; i < count; i++) {
        const c = view.getUint8(off + i);
        if (c === 0) break;
        s += String.fromCharCode(c);
      }
      return s.trim() === '' ? undefined : s;
    }
    const parts: string[] = [];
    for (let i = 0; i < count; i++) {
      const o = off + i * size;
      if (type === 3) parts.push(String(u16(o)));
      else if (type === 4) parts.push(String(u32(o)));
      else if (type === 8) parts.push(String(view.getInt16(o, le)));
      else if (type === 9) parts.push(String(view.getInt32(o, le)));
      else if (type === 5) parts.push(`${u32(o)}/${u32(o + 4)}`);
      else if (type === 10) parts.push(`${view.getInt32(o, le)}/${view.getInt32(o + 4, le)}`);
      else return undefined; // BYTE / UNDEFINED: binary, not expressible as a libexif string
    }
    return parts.join(' ');
  };

  const readIfd = (offset: number, names: Record<number, string>, into: Record<string, string>): Map<number, number> => {
    const pointers = new Map<number, number>();
    if (!inRange(offset, 2)) return pointers;
    const n = u16(offset);
    for (let i = 0; i < n; i++) {
      const e = offset + 2 + i * 12;
      if (!inRange(e, 12)) break;
      const tag = u16(e);
      const type = u16(e + 2);
      const count = u32(e + 4);
      if ((tag === EXIF_IFD_POINTER || tag === GPS_IFD_POINTER) && (type === 4 || type === 13)) {
        pointers.set(tag, u32(e + 8));
        continue;
      }
      const name = names[tag];
      if (!name) continue;
      const value = readValue(type, count, e + 8);
      if (value !== undefined) into[name] = value;
    }
    return pointers;
  };

  try {
    if (u16(2) !== 42) return result;
    const pointers = readIfd(u32(4), IFD0_TAGS, result.IFD0);
    const exifAt = pointers.get(EXIF_IFD_POINTER);
    if (exifAt !== undefined) {
      const ifd2: Record<string, string> = {};
      readIfd(exifAt, EXIF_TAGS, ifd2);
      if (Object.keys(ifd2).length > 0) result.IFD2 = ifd2;
    }
    const gpsAt = pointers.get(GPS_IFD_POINTER);
    if (gpsAt !== undefined) {
      const ifd3: Record<string, string> = {};
      readIfd(gpsAt, GPS_TAGS, ifd3);
      if (Object.keys(ifd3).length > 0) result.IFD3 = ifd3;
    }
  } catch {
    // Truncated block: keep what was read.
  }
  return result;
}

/** The EXIF to write for an upright output of a photo whose input EXIF was `block`. */
export function exifForOutput(block: Uint8Array | undefined): ExifFields {
  const fields = parseExif(block);
  fields.IFD0.Orientation = '1';
  return fields;
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** EXIF "YYYY:MM:DD HH:MM:SS" (+ optional offset) -> XMP date "YYYY-MM-DDTHH:MM:SS[+hh:mm]". */
function xmpDate(exifDate: string | undefined, offset: string | undefined): string | undefined {
  const m = exifDate?.match(/^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/);
  if (!m) return undefined;
  const tz = offset && /^[+-]\d{2}:\d{2}$/.test(offset) ? offset : '';
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${tz}`;
}

/**
 * A minimal XMP packet with the dates and names of `fields`, for containers where libvips writes
 * no EXIF block (TIFF). Undefined when there is nothing to carry.
 */
export function xmpForExif(fields: ExifFields): string | undefined {
  const props: string[] = [];
  const add = (name: string, value: string | undefined) => {
    if (value !== undefined && value !== '') props.push(`<${name}>${xmlEscape(value)}</${name}>`);
  };
  const e = fields.IFD2 ?? {};
  add('exif:DateTimeOriginal', xmpDate(e.DateTimeOriginal, e.OffsetTimeOriginal));
  add('xmp:CreateDate', xmpDate(e.DateTimeDigitized, e.OffsetTimeDigitized));
  add('xmp:ModifyDate', xmpDate(fields.IFD0.DateTime, e.OffsetTime));
  add('tiff:Make', fields.IFD0.Make);
  add('tiff:Model', fields.IFD0.Model);
  add('tiff:Artist', fields.IFD0.Artist);
  add('xmp:CreatorTool', fields.IFD0.Software);
  if (props.length === 0) return undefined;
  return (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>' +
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
    '<rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" ' +
    'xmlns:tiff="http://ns.adobe.com/tiff/1.0/">' +
    props.join('') +
    '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
  );
}
