import { extractDockerfile } from './server/src/core/extract/dockerfile';
const src = process.argv[2];
for (const r of extractDockerfile(src)) { console.log(JSON.stringify(r)); if (src.slice(r.range.start, r.range.end) !== r.text) console.log('SLICE MISMATCH'); }
