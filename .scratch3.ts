import { parseAllDocuments } from 'yaml';
const texts = ['a:\n  b: 1\n  image:\n  c: ', 'digest:\nx: 1', 'digest: \nx: 1', 'digest:   # c\nx: 1', '- name: x\n  digest: ""\n'];
for (const t of texts) {
  const d: any = parseAllDocuments(t)[0];
  const walk = (n: any) => { if (!n) return; if (n.items) for (const p of n.items) { if (p.key) { console.log(JSON.stringify(t), p.key.value, p.value?.range, JSON.stringify(p.value?.value)); walk(p.value);} else walk(p);} };
  walk(d.contents);
}
