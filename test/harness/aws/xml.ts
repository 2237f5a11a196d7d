// Just enough XML for the EC2 Query protocol: parse moto's responses into a tree, read fields by
// path, and write EC2-style error documents.

export interface XmlNode {
  name: string
  children: XmlNode[]
  text: string
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

function decode(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (m, e: string) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1)))
    return ENTITIES[e] ?? m
  })
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&${Object.entries(ENTITIES).find(([, v]) => v === c)![0]};`)
}

/** Parse a document (no DTDs, no CDATA: EC2 responses use neither). */
export function parseXml(doc: string): XmlNode {
  const root: XmlNode = { name: '#document', children: [], text: '' }
  const stack: XmlNode[] = [root]
  const re = /<(\/?)([A-Za-z_][\w.:-]*)[^>]*?(\/?)>|<\?[^>]*\?>|<!--[\s\S]*?-->|([^<]+)/g
  for (const m of doc.matchAll(re)) {
    const top = stack[stack.length - 1]!
    if (m[4] !== undefined) {
      top.text += decode(m[4])
    } else if (m[2] !== undefined) {
      if (m[1]) {
        if (stack.length > 1) stack.pop()
      } else {
        const node: XmlNode = { name: m[2], children: [], text: '' }
        top.children.push(node)
        if (!m[3]) stack.push(node)
      }
    }
  }
  return root
}

/** The first element named `name` anywhere below `node` (depth first). */
export function find(node: XmlNode | undefined, name: string): XmlNode | undefined {
  for (const c of node?.children ?? []) {
    if (c.name === name) return c
    const d = find(c, name)
    if (d) return d
  }
  return undefined
}

/** Text of the direct child `name`, trimmed; undefined when absent. */
export function childText(node: XmlNode | undefined, name: string): string | undefined {
  const c = node?.children.find((x) => x.name === name)
  return c ? c.text.trim() : undefined
}

/** The `<item>` children of the direct child `name` (EC2's list encoding). */
export function items(node: XmlNode | undefined, name: string): XmlNode[] {
  return node?.children.find((x) => x.name === name)?.children.filter((c) => c.name === 'item') ?? []
}

/** An EC2 Query error document, as EC2 sends it. */
export function ec2ErrorXml(code: string, message: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Response><Errors><Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error></Errors>` +
    `<RequestID>${crypto.randomUUID()}</RequestID></Response>`
  )
}
