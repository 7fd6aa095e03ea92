import { useQueryClient } from "@tanstack/react-query";
import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useSyncExternalStore,
} from "react";
import { api, unwrap } from "../../shared/api/client";
import { useMe } from "../../shared/api/queries";
import { session } from "../../shared/api/session";
import type { User } from "../../shared/api/types";
import { useUploads } from "../uploads/UploadContext";

type Auth = {
  user: User | null;
  signIn: (username: string, password: string) => Promise<void>;
  signOut: () => void;
};

const AuthContext = createContext<Auth | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const current = useSyncExternalStore(session.subscribe, session.get);
  const queryClient = useQueryClient();
  const uploads = useUploads();
  const me = useMe(current !== null);

  useEffect(() => {
    if (me.data) session.updateUser(me.data);
  }, [me.data]);

  useEffect(() => {
    if (current === null) {
      uploads.cancelAll("Upload stopped: you were signed out.");
      queryClient.clear();
    }
  }, [current, queryClient, uploads]);

  const signIn = useCallback(async (username: string, password: string) => {
    const answer = await unwrap(
      api.POST("/api/v1/auth/login", {
        body: { username, password, scope: "" },
        bodySerializer: (body) => new URLSearchParams(body as Record<string, string>),
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
      }),
    );
    session.start({ token: answer.access_token, user: answer.user });
  }, []);

  const signOut = useCallback(() => session.end(null), []);

  const value = useMemo(() => ({ user: current?.user ?? null, signIn, signOut }), [current, signIn, signOut]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error("useAuth must be used inside <AuthProvider>");
  return auth;
}
