/**
 * The typed client of the association API: the types generated from the
 * committed `openapi/openapi.json` (`schema.d.ts`, by openapi-typescript)
 * over openapi-fetch, with a pluggable transport.
 *
 * ```ts
 * import { createApiClient, fetchTransport } from "./client/index.js";
 * const api = createApiClient({ baseUrl: "https://api.example.org", transport: fetchTransport() });
 * const { data, error } = await api.GET("/api/v1/me");
 * ```
 *
 * In the mini-program, pass `wxTransport(wx)` (see `wx.ts`) instead.
 */
import createClient, { type Client, type Middleware } from "openapi-fetch";

import type { components, operations, paths } from "./schema.js";

export type { components, operations, paths };
/** Every schema of the spec by name, e.g. `Schemas["ArticleView"]`. */
export type Schemas = components["schemas"];
/** An RFC 9457 problem as the spec documents it. */
export type Problem = components["schemas"]["Problem"];
/** The stable machine codes a problem carries. */
export type ErrorCode = components["schemas"]["ErrorCode"];
/** A typed client over the API's paths. */
export type ApiClient = Client<paths>;

/**
 * How requests reach the server: a `fetch`-shaped function, and the
 * `Request` class openapi-fetch builds its requests with.
 */
export interface Transport {
    fetch: (input: Request) => Promise<Response>;
    Request: typeof Request;
}

/** The platform's `fetch` (browsers, Node.js ≥ 18, the developer tools). */
export function fetchTransport(f: typeof globalThis.fetch = globalThis.fetch): Transport {
    return { fetch: (input: Request) => f(input), Request: globalThis.Request };
}

export interface ApiClientOptions {
    /** Scheme, host and port, e.g. `https://api.example.org` (the paths carry `/api/v1`). */
    baseUrl: string;
    /** Default: `fetchTransport()`. */
    transport?: Transport;
    /** The current access token, sent as `Authorization: Bearer …` when present. */
    accessToken?: () => string | undefined;
}

/** A client of the API; every path, parameter, body and answer is typed. */
export function createApiClient(options: ApiClientOptions): ApiClient {
    const transport = options.transport ?? fetchTransport();
    const client = createClient<paths>({
        baseUrl: options.baseUrl,
        fetch: transport.fetch,
        Request: transport.Request,
    });
    const tokenOf = options.accessToken;
    if (tokenOf !== undefined) {
        const bearer: Middleware = {
            onRequest({ request }) {
                const token = tokenOf();
                if (token !== undefined && !request.headers.has("authorization")) {
                    request.headers.set("authorization", `Bearer ${token}`);
                }
                return request;
            },
        };
        client.use(bearer);
    }
    return client;
}

/** True when `value` is a problem+json body of this API (it has its `code`). */
export function isProblem(value: unknown): value is Problem {
    return (
        typeof value === "object" &&
        value !== null &&
        "code" in value &&
        typeof value.code === "string" &&
        "status" in value &&
        typeof value.status === "number" &&
        "title" in value &&
        typeof value.title === "string" &&
        "detail" in value &&
        typeof value.detail === "string"
    );
}

/** An answer that was not the expected success, with its problem when it had one. */
export class ApiError extends Error {
    readonly status: number;
    readonly problem: Problem | undefined;
    readonly body: unknown;

    constructor(status: number, body: unknown) {
        const problem = isProblem(body) ? body : undefined;
        super(
            problem !== undefined
                ? `${status} ${problem.code}: ${problem.detail}`
                : `${status}: ${typeof body === "string" ? body : JSON.stringify(body)}`,
        );
        this.name = "ApiError";
        this.status = status;
        this.problem = problem;
        this.body = body;
    }

    /** The problem's code, if the answer was a problem. */
    get code(): ErrorCode | undefined {
        return this.problem?.code;
    }
}

/** What openapi-fetch answers: `data` on success, `error` otherwise, and the response. */
export interface Result {
    data?: unknown;
    error?: unknown;
    response: Response;
}

/**
 * The body of a successful answer; throws `ApiError` (with its `Problem`)
 * on any other. For answers without a body (204) use `ensureOk`.
 */
export function unwrap<R extends Result>(result: R): NonNullable<R["data"]> {
    ensureOk(result);
    const data = result.data;
    if (data === undefined || data === null) {
        throw new ApiError(result.response.status, "the answer has no body");
    }
    return data;
}

/** Throws `ApiError` (with its `Problem`) unless the answer is a success. */
export function ensureOk(result: Result): void {
    if (result.error !== undefined || !result.response.ok) {
        throw new ApiError(result.response.status, result.error);
    }
}

export { installWxGlobals, wxTransport, wxUpload, WxResponse, type Wx, type WxMethod, type WxUpload } from "./wx.js";
