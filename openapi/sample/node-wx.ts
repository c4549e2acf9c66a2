/**
 * A stand-in for the mini-program's `wx` over node:http, for running the
 * sample with `SAMPLE_TRANSPORT=wx` outside WeChat: `request` and
 * `uploadFile` behave as the real ones do towards their callbacks (status,
 * headers and unparsed data to `success`; network errors to `fail`). It uses
 * no `fetch`, `Headers` or `FormData`, which the sample removes in wx mode.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import * as http from "node:http";
import { basename } from "node:path";

import type { Wx, WxRequestOption, WxUploadFileOption } from "../client/wx.js";

function send(
    url: string,
    method: string,
    headers: Record<string, string>,
    body: Buffer | undefined,
    timeout: number | undefined,
): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
    return new Promise((resolve, reject) => {
        const req = http.request(url, { method, headers, timeout: timeout ?? 60_000 }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => {
                const out: Record<string, string> = {};
                for (const [k, v] of Object.entries(res.headers)) {
                    if (typeof v === "string") {
                        out[k] = v;
                    } else if (Array.isArray(v)) {
                        out[k] = v.join(", ");
                    }
                }
                resolve({ status: res.statusCode ?? 0, headers: out, body: Buffer.concat(chunks) });
            });
            res.on("error", reject);
        });
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.on("error", reject);
        req.end(body);
    });
}

function toArrayBuffer(b: Buffer): ArrayBuffer {
    const out = new ArrayBuffer(b.byteLength);
    new Uint8Array(out).set(b);
    return out;
}

export function nodeWx(): Wx {
    return {
        request(o: WxRequestOption): void {
            const body = o.data === undefined ? undefined : typeof o.data === "string" ? Buffer.from(o.data) : Buffer.from(o.data);
            send(o.url, o.method, o.header, body, o.timeout).then(
                (r) =>
                    o.success({
                        statusCode: r.status,
                        header: r.headers,
                        data: o.responseType === "arraybuffer" ? toArrayBuffer(r.body) : r.body.toString("utf8"),
                    }),
                (e: unknown) => o.fail({ errMsg: `request:fail ${e instanceof Error ? e.message : String(e)}` }),
            );
        },
        uploadFile(o: WxUploadFileOption): void {
            const boundary = `----wx${randomUUID().replace(/-/g, "")}`;
            const parts: Buffer[] = [];
            for (const [k, v] of Object.entries(o.formData)) {
                parts.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
            }
            const name = basename(o.filePath);
            parts.push(
                Buffer.from(
                    `--${boundary}\r\ncontent-disposition: form-data; name="${o.name}"; filename="${encodeURIComponent(name)}"\r\ncontent-type: application/octet-stream\r\n\r\n`,
                ),
                readFileSync(o.filePath),
                Buffer.from(`\r\n--${boundary}--\r\n`),
            );
            const headers = { ...o.header, "content-type": `multipart/form-data; boundary=${boundary}` };
            send(o.url, "POST", headers, Buffer.concat(parts), o.timeout).then(
                (r) => o.success({ statusCode: r.status, data: r.body.toString("utf8") }),
                (e: unknown) => o.fail({ errMsg: `uploadFile:fail ${e instanceof Error ? e.message : String(e)}` }),
            );
        },
    };
}
