import { useEffect, useRef } from 'react';
import { useVisible } from './useVisible.ts';

/** Infinite scroll: loads the next page when the end of the list comes into view; a button for keyboards. */
export function LoadMore({
  hasMore,
  loading,
  onLoadMore,
  label = 'Load more',
}: {
  hasMore: boolean;
  loading: boolean;
  onLoadMore: () => void;
  label?: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const visible = useVisible(ref, '400px');
  useEffect(() => {
    if (visible && hasMore && !loading) onLoadMore();
  }, [visible, hasMore, loading, onLoadMore]);
  return (
    <div ref={ref} className="load-more">
      {hasMore ? (
        <button type="button" onClick={onLoadMore} disabled={loading}>
          {loading ? 'Loading…' : label}
        </button>
      ) : (
        <span className="muted">That's everything.</span>
      )}
    </div>
  );
}
