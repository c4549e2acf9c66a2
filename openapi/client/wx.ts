/**
 * A transport over the mini-program's `wx.request`, for `createApiClient`.
 *
 * A mini-program has no `fetch`, `Request`, `Response`, `Headers` or
 * `FormData`. openapi-fetch builds a `Request` (with the class it is given)
 * and merges headers with the global `Headers`; this file supplies small
 * stand-ins for those and maps `wx.request`'s `success`/`fail` callbacks to a
 * `Response`. It has no dependency on WeChat's SDK: `Wx` below declares the
 * little of `wx` it uses, so pass the real `wx` object.
 *
 * Limits, all of `wx.request` itself (each one refused with a clear error,
 * never sent wrongly):
 * - methods: OPTIONS, GET, HEAD, POST, PUT, DELETE, TRACE, CONNECT — no PATCH,
 *   so a PATCH is sent as `POST` with `X-HTTP-Method-Override: PATCH`, which
 *   the server treats as the PATCH (the spec says so on each PATCH operation);
 * - no multipart body (files go through `wx.uploadFile`; see `wxUpload`);
 * - no streaming, `blob()` or `formData()` of an answer.
 */

/** The methods `wx.request` can send. */
export type WxMethod = "OPTIONS" | "GET" | "HEAD" | "POST" | "PUT" | "DELETE" | "TRACE" | "CONNECT";

const WX_METHODS: readonly WxMethod[] = ["OPTIONS", "GET", "HEAD", "POST", "PUT", "DELETE", "TRACE", "CONNECT"];

function wxMethod(method: string): WxMethod | undefined {
    return WX_METHODS.find((m) => m === method);
}

/** What `wx.request` hands its `success` callback. */
export interface WxRequestSuccess {
    data: string | ArrayBuffer | object;
    statusCode: number;
    header: Record<string, string | undefined>;
}

/** What `wx.request` and `wx.uploadFile` hand their `fail` callback. */
export interface WxFail {
    errMsg: string;
    errno?: number;
}

/** The options of `wx.request` this transport uses. */
export interface WxRequestOption {
    url: string;
    method: WxMethod;
    header: Record<string, string>;
    data?: string | ArrayBuffer;
    /** Anything but `json`: the answer is handed over unparsed. */
    dataType: string;
    responseType: "text" | "arraybuffer";
    timeout?: number;
    success: (result: WxRequestSuccess) => void;
    fail: (error: WxFail) => void;
}

/** What `wx.uploadFile` hands its `success` callback (no headers). */
export interface WxUploadSuccess {
    data: string;
    statusCode: number;
}

/** The options of `wx.uploadFile` (a multipart POST of one local file). */
export interface WxUploadFileOption {
    url: string;
    filePath: string;
    name: string;
    header: Record<string, string>;
    formData: Record<string, string>;
    timeout?: number;
    success: (result: WxUploadSuccess) => void;
    fail: (error: WxFail) => void;
}

/** The part of the mini-program's `wx` object this file uses. */
export interface Wx {
    request(option: WxRequestOption): unknown;
    uploadFile(option: WxUploadFileOption): unknown;
}

// ------------------------------------------------------------------ Headers

type HeaderPairs = Iterable<readonly [string, string]>;

/** A `Headers` for a runtime that has none (names are case-insensitive). */
export class WxHeaders implements Headers {
    readonly #map = new Map<string, string>();

    constructor(init?: HeadersInit) {
        if (init === undefined) {
            return;
        }
        if (init instanceof WxHeaders || isIterable(init)) {
            for (const [k, v] of init) {
                this.append(k, v);
            }
        } else {
            for (const [k, v] of Object.entries(init)) {
                this.append(k, v);
            }
        }
    }

    append(name: string, value: string): void {
        const key = name.toLowerCase();
        const old = this.#map.get(key);
        this.#map.set(key, old === undefined ? String(value) : `${old}, ${value}`);
    }
    delete(name: string): void {
        this.#map.delete(name.toLowerCase());
    }
    get(name: string): string | null {
        return this.#map.get(name.toLowerCase()) ?? null;
    }
    getSetCookie(): string[] {
        const v = this.#map.get("set-cookie");
        return v === undefined ? [] : [v];
    }
    has(name: string): boolean {
        return this.#map.has(name.toLowerCase());
    }
    set(name: string, value: string): void {
        this.#map.set(name.toLowerCase(), String(value));
    }
    forEach(callback: (value: string, key: string, parent: Headers) => void): void {
        for (const [k, v] of this.entries()) {
            callback(v, k, this);
        }
    }
    entries(): HeadersIterator<[string, string]> {
        return sorted(this.#map)[Symbol.iterator]();
    }
    keys(): HeadersIterator<string> {
        return sorted(this.#map).map(([k]) => k)[Symbol.iterator]();
    }
    values(): HeadersIterator<string> {
        return sorted(this.#map).map(([, v]) => v)[Symbol.iterator]();
    }
    [Symbol.iterator](): HeadersIterator<[string, string]> {
        return this.entries();
    }
}

function sorted(map: Map<string, string>): [string, string][] {
    return [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function isIterable(value: object): value is HeaderPairs {
    return Symbol.iterator in value;
}

/** Only for openapi-fetch's `instanceof FormData` test: a mini-program cannot send one. */
export class WxFormData implements FormData {
    append(): void {
        throw new TypeError(NO_MULTIPART);
    }
    delete(): void {}
    get(): null {
        return null;
    }
    getAll(): FormDataEntryValue[] {
        return [];
    }
    has(): boolean {
        return false;
    }
    set(): void {
        throw new TypeError(NO_MULTIPART);
    }
    forEach(): void {}
    entries(): FormDataIterator<[string, FormDataEntryValue]> {
        return new Array<[string, FormDataEntryValue]>()[Symbol.iterator]();
    }
    keys(): FormDataIterator<string> {
        return new Array<string>()[Symbol.iterator]();
    }
    values(): FormDataIterator<FormDataEntryValue> {
        return new Array<FormDataEntryValue>()[Symbol.iterator]();
    }
    [Symbol.iterator](): FormDataIterator<[string, FormDataEntryValue]> {
        return this.entries();
    }
}

const NO_MULTIPART = "wx.request cannot send multipart/form-data: upload files with wxUpload (wx.uploadFile)";

// ------------------------------------------------------------ Body (shared)

function unsupported(what: string): Error {
    return new TypeError(`${what} is not available over wx.request`);
}

abstract class WxBody {
    protected abstract payload(): string | ArrayBuffer | null;
    #used = false;

    get body(): ReadableStream<Uint8Array<ArrayBuffer>> | null {
        if (this.payload() === null) {
            return null;
        }
        throw unsupported("a body stream");
    }
    get bodyUsed(): boolean {
        return this.#used;
    }
    #take(): string | ArrayBuffer | null {
        if (this.#used) {
            throw new TypeError("body already read");
        }
        this.#used = true;
        return this.payload();
    }
    async text(): Promise<string> {
        const p = this.#take();
        if (p === null) {
            return "";
        }
        if (typeof p === "string") {
            return p;
        }
        if (typeof TextDecoder === "undefined") {
            throw unsupported("decoding a binary answer (no TextDecoder)");
        }
        return new TextDecoder().decode(p);
    }
    async json(): Promise<unknown> {
        return JSON.parse(await this.text());
    }
    async arrayBuffer(): Promise<ArrayBuffer> {
        const p = this.#take();
        if (p === null) {
            return new ArrayBuffer(0);
        }
        if (typeof p !== "string") {
            return p;
        }
        if (typeof TextEncoder === "undefined") {
            throw unsupported("encoding a text body (no TextEncoder)");
        }
        const bytes = new TextEncoder().encode(p);
        const out = new ArrayBuffer(bytes.byteLength);
        new Uint8Array(out).set(bytes);
        return out;
    }
    async bytes(): Promise<Uint8Array<ArrayBuffer>> {
        return new Uint8Array(await this.arrayBuffer());
    }
    async blob(): Promise<Blob> {
        throw unsupported("blob()");
    }
    async formData(): Promise<FormData> {
        throw unsupported("formData()");
    }
}

// ------------------------------------------------------------------ Request

/** The `Request` openapi-fetch builds in a mini-program. */
export class WxRequest extends WxBody implements Request {
    readonly url: string;
    readonly method: string;
    readonly headers: Headers;
    readonly #payload: string | null;

    readonly cache: RequestCache = "default";
    readonly credentials: RequestCredentials = "omit";
    readonly destination: RequestDestination = "";
    readonly integrity: string = "";
    readonly keepalive: boolean = false;
    readonly mode: RequestMode = "cors";
    readonly redirect: RequestRedirect = "follow";
    readonly referrer: string = "";
    readonly referrerPolicy: ReferrerPolicy = "";

    constructor(input: RequestInfo | URL, init?: RequestInit) {
        super();
        if (typeof input === "string") {
            this.url = input;
        } else if (input instanceof WxRequest) {
            this.url = input.url;
        } else {
            this.url = String(input);
        }
        this.method = (init?.method ?? "GET").toUpperCase();
        this.headers = new WxHeaders(init?.headers);
        const body = init?.body;
        if (body === undefined || body === null) {
            this.#payload = null;
        } else if (typeof body === "string") {
            this.#payload = body;
        } else {
            throw new TypeError(body instanceof WxFormData ? NO_MULTIPART : "wx.request sends text bodies only");
        }
    }

    protected payload(): string | null {
        return this.#payload;
    }

    get signal(): AbortSignal {
        throw unsupported("AbortSignal");
    }

    clone(): Request {
        return new WxRequest(this.url, {
            method: this.method,
            headers: this.headers,
            body: this.#payload,
        });
    }

    /** The text body as it will be sent (without consuming it). */
    bodyText(): string | undefined {
        return this.#payload ?? undefined;
    }
}

// ----------------------------------------------------------------- Response

/** `wx.request`'s answer as a `Response`. */
export class WxResponse extends WxBody implements Response {
    readonly status: number;
    readonly statusText: string = "";
    readonly headers: Headers;
    readonly url: string;
    readonly redirected: boolean = false;
    readonly type: ResponseType = "basic";
    readonly #payload: string | ArrayBuffer | null;

    constructor(url: string, status: number, headers: Headers, payload: string | ArrayBuffer | null) {
        super();
        this.url = url;
        this.status = status;
        this.headers = headers;
        this.#payload = payload;
    }

    protected payload(): string | ArrayBuffer | null {
        return this.#payload;
    }

    get ok(): boolean {
        return this.status >= 200 && this.status < 300;
    }

    clone(): Response {
        return new WxResponse(this.url, this.status, this.headers, this.#payload);
    }
}

// ---------------------------------------------------------------- transport

function headerRecord(headers: Headers): Record<string, string> {
    const out: Record<string, string> = {};
    headers.forEach((value, key) => {
        out[key] = value;
    });
    return out;
}

function wxHeaders(header: Record<string, string | undefined>): WxHeaders {
    const h = new WxHeaders();
    for (const [k, v] of Object.entries(header)) {
        if (v !== undefined) {
            h.append(k, v);
        }
    }
    return h;
}

/** An answer body `wx` parsed anyway (older base libraries) back to text. */
function payloadOf(data: string | ArrayBuffer | object): string | ArrayBuffer {
    if (typeof data === "string" || data instanceof ArrayBuffer) {
        return data;
    }
    return JSON.stringify(data);
}

function isJsonish(accept: string | null): boolean {
    return accept === null || accept === "" || /json|text|\*\/\*/.test(accept);
}

/** Installs `Headers` and `FormData` stand-ins where the runtime has none. */
export function installWxGlobals(): void {
    if (typeof globalThis.Headers === "undefined") {
        globalThis.Headers = WxHeaders;
    }
    if (typeof globalThis.FormData === "undefined") {
        globalThis.FormData = WxFormData;
    }
}

/**
 * A transport over `wx.request`: `createApiClient({ baseUrl, transport: wxTransport(wx) })`.
 * `timeout` is in milliseconds (wx's own default otherwise).
 */
export function wxTransport(wx: Wx, options: { timeout?: number } = {}): { fetch: (input: Request) => Promise<Response>; Request: typeof Request } {
    installWxGlobals();
    const fetch = async (input: Request): Promise<Response> => {
        const asked = input.method.toUpperCase();
        const header = headerRecord(input.headers);
        const method = asked === "PATCH" ? "POST" : wxMethod(asked);
        if (method === undefined) {
            throw new TypeError(`wx.request cannot send ${input.method} ${input.url} (its methods: ${WX_METHODS.join(", ")})`);
        }
        if (asked === "PATCH") {
            header["X-HTTP-Method-Override"] = "PATCH";
        }
        const body = method === "GET" || method === "HEAD" ? "" : await input.text();
        const binary = !isJsonish(input.headers.get("accept"));
        return new Promise<Response>((resolve, reject) => {
            const option: WxRequestOption = {
                url: input.url,
                method,
                header,
                dataType: "text",
                responseType: binary ? "arraybuffer" : "text",
                success: (res) => {
                    resolve(new WxResponse(input.url, res.statusCode, wxHeaders(res.header), payloadOf(res.data)));
                },
                fail: (err) => {
                    reject(new TypeError(`wx.request failed: ${err.errMsg}`));
                },
            };
            if (body !== "") {
                option.data = body;
            }
            if (options.timeout !== undefined) {
                option.timeout = options.timeout;
            }
            wx.request(option);
        });
    };
    return { fetch, Request: WxRequest };
}

/** A multipart upload of one local file through `wx.uploadFile`. */
export interface WxUpload {
    /** The full URL, e.g. `${baseUrl}/api/v1/nominations/7/attachments`. */
    url: string;
    /** A local file path (from `wx.chooseMedia`, `wx.chooseMessageFile`, …). */
    filePath: string;
    /** The multipart field of the file (`file` for attachments). */
    name: string;
    /** The other multipart fields (e.g. `{ kind: "photo" }`). */
    formData: Record<string, string>;
    header?: Record<string, string>;
    timeout?: number;
}

/**
 * Uploads through `wx.uploadFile` and answers a `Response` (without headers:
 * wx.uploadFile hands over none), so the answer is read as any other.
 */
export function wxUpload(wx: Wx, upload: WxUpload): Promise<Response> {
    installWxGlobals();
    return new Promise<Response>((resolve, reject) => {
        const option: WxUploadFileOption = {
            url: upload.url,
            filePath: upload.filePath,
            name: upload.name,
            formData: upload.formData,
            header: upload.header ?? {},
            success: (res) => {
                resolve(new WxResponse(upload.url, res.statusCode, new WxHeaders(), res.data));
            },
            fail: (err) => {
                reject(new TypeError(`wx.uploadFile failed: ${err.errMsg}`));
            },
        };
        if (upload.timeout !== undefined) {
            option.timeout = upload.timeout;
        }
        wx.uploadFile(option);
    });
}
